/**
 * Scenario runs on the real dev server, with the HTTP module talking to a real local server.
 */
import { useImexStack } from '../helpers/imex-stack';
import { webhookTrigger } from '../helpers/blueprints';
import { runWorkflowId } from '../../src/domain';

const stack = useImexStack();

const webhook = webhookTrigger;
const httpModule = (id: number, path: string, extra: Record<string, unknown> = {}) =>
  stack.http.httpModule(id, path, { parseResponse: true, ...extra });

async function run(flow: unknown[], data?: unknown, scenario: Record<string, unknown> = {}) {
  const scenarioId = await stack.imex.createScenario({ name: 'run test', flow, metadata: { scenario } });
  const { executionId } = await stack.imex.imex.startScenarioRun({ orgId: stack.imex.orgId, scenarioId, data });
  const result = await stack.imex.imex.scenarioRunResult(executionId);
  return { scenarioId, executionId, result };
}

test('maps bundles across three modules', async () => {
  stack.http.script('/first', { status: 200, body: { customer: { email: 'ada@example.com', id: 7 } } });
  const { result } = await run(
    [
      webhook,
      httpModule(2, '/first', { data: '{"name":"{{1.name}}"}' }),
      httpModule(3, '/second', { data: '{"email":"{{2.data.customer.email}}","from":"{{1.name}}"}' }),
    ],
    { name: 'Ada' },
  );
  expect(result).toMatchObject({ status: 'success', operations: 3, parked: [] });
  expect(JSON.parse(stack.http.requestsTo('/first').at(-1)?.body ?? '')).toEqual({ name: 'Ada' });
  expect(JSON.parse(stack.http.requestsTo('/second').at(-1)?.body ?? '')).toEqual({
    email: 'ada@example.com',
    from: 'Ada',
  });
});

/** Attempts of each module activity, read from the run's history (the started event holds the last attempt). */
async function activityAttempts(executionId: string): Promise<Record<string, number>> {
  const history = await stack.env.client.workflow.getHandle(runWorkflowId(executionId)).fetchHistory();
  const scheduled = new Map<string, string>();
  const attempts: Record<string, number> = {};
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), String(s.activityId));
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const summary = String(scheduled.get(String(started.scheduledEventId)));
      attempts[summary] = started.attempt ?? 0;
    }
  }
  return attempts;
}

describe('each error category from a real HTTP server, storing disabled', () => {
  test.each([
    ['503', { status: 503 }, 'ConnectionError', 3],
    ['502', { status: 502 }, 'ConnectionError', 3],
    ['429 with Retry-After', { status: 429, headers: { 'retry-after': '1' } }, 'RateLimitError', 3],
    ['401', { status: 401 }, 'InvalidAccessTokenError', 1],
    ['403', { status: 403 }, 'InvalidAccessTokenError', 1],
    ['400', { status: 400 }, 'DataError', 1],
    ['404', { status: 404 }, 'DataError', 1],
    ['422', { status: 422 }, 'DataError', 1],
    ['500', { status: 500 }, 'RuntimeError', 1],
  ] as const)(
    '%s ends the run with status error, logs %s, %d attempt(s)',
    async (label, response, category, attempts) => {
      const path = `/category-${label.replace(/\W/g, '')}`;
      stack.http.script(path, response);
      const started = Date.now();
      const { result, executionId, scenarioId } = await run([webhook, httpModule(2, path)], { n: 1 });
      expect(result.status).toBe('error');
      expect(result.error).toMatchObject({ type: category, moduleId: 2 });
      expect(result.parked).toEqual([]);
      expect(stack.http.count(path)).toBe(attempts);
      const byActivity = await activityAttempts(executionId);
      expect(Math.max(...Object.values(byActivity))).toBe(attempts);
      if (label.startsWith('429')) expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // Retry-After: 1 s, twice

      const [logged] = await stack.imex.store.executions.listByScenario(stack.imex.orgId, scenarioId);
      expect(logged).toMatchObject({ executionId, status: 'error', error: { type: category, moduleId: 2 } });
      expect(logged?.log.at(-1)).toMatchObject({ moduleId: 2, status: 'error', errorType: category });
    },
  );

  test('a connection refused is a ConnectionError retried in the run', async () => {
    const { result } = await run([
      webhook,
      { ...httpModule(2, '/x'), mapper: { url: 'http://127.0.0.1:1/x', method: 'get' } },
    ]);
    expect(result.error).toMatchObject({ type: 'ConnectionError', moduleId: 2 });
  });

  test("the module's own timeout is a ModuleTimeoutError retried in the run", async () => {
    stack.http.script('/slow', { status: 200, hang: true });
    const { result, executionId } = await run([webhook, httpModule(2, '/slow', { timeout: 1 })]);
    expect(result.error).toMatchObject({ type: 'ModuleTimeoutError', moduleId: 2 });
    expect(stack.http.count('/slow')).toBe(3);
    expect(Math.max(...Object.values(await activityAttempts(executionId)))).toBe(3);
  });
});

test('an error on the first module stops the run and stores nothing, even with storing enabled', async () => {
  stack.http.script('/first-down', { status: 503 });
  const { result } = await run([httpModule(1, '/first-down'), httpModule(2, '/never')], undefined, { dlq: true });
  expect(result).toMatchObject({ status: 'error', error: { type: 'ConnectionError', moduleId: 1 }, parked: [] });
  expect(stack.http.count('/never')).toBe(0);
  expect(
    await stack.imex.store.incompleteExecutions.collection.countDocuments({ orgId: stack.imex.orgId, failer: 1 }),
  ).toBe(0);
});

test('an iterator fans out: every bundle goes through the rest of the flow, in order', async () => {
  const { result } = await run(
    [
      webhook,
      { id: 2, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } },
      httpModule(3, '/item', { data: '{"sku":"{{2.sku}}","i":{{2.__IMTINDEX__}}}' }),
    ],
    { items: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }] },
  );
  expect(result).toMatchObject({ status: 'success', operations: 5 });
  expect(stack.http.requestsTo('/item').map((r) => JSON.parse(r.body) as unknown)).toEqual([
    { sku: 'a', i: 1 },
    { sku: 'b', i: 2 },
    { sku: 'c', i: 3 },
  ]);
});

test('a 3 MB bundle passes by reference: no Temporal payload comes near the limit', async () => {
  const big = 'x'.repeat(3 * 1024 * 1024);
  stack.http.script('/big-echo', { status: 200, body: { received: true } });
  const { result, executionId } = await run([webhook, httpModule(2, '/big-echo', { data: '{"size":"{{1.big}}"}' })], {
    big,
  });
  expect(result).toMatchObject({ status: 'success' });
  expect(stack.http.requestsTo('/big-echo').at(-1)?.body.length).toBe(big.length + '{"size":""}'.length);
  const history = await stack.env.client.workflow.getHandle(runWorkflowId(executionId)).fetchHistory();
  const largest = Math.max(...(history.events ?? []).map((e) => JSON.stringify(e).length));
  expect(largest).toBeLessThan(256 * 1024);
});

test('a resume run starts at module 3 with the given bundles; modules 1 and 2 never run', async () => {
  const flow = [
    webhook,
    httpModule(2, '/resume-two'),
    httpModule(3, '/resume-three', { data: '{"v":"{{2.data.v}}"}' }),
  ];
  const scenarioId = await stack.imex.createScenario({ name: 'resume', flow });
  const scenario = await stack.imex.store.scenarios.get(stack.imex.orgId, scenarioId);
  const executionId = 'ab'.repeat(16);
  const handle = await stack.env.client.workflow.start('scenarioRun', {
    taskQueue: stack.imex.taskQueue,
    workflowId: runWorkflowId(executionId),
    args: [
      {
        orgId: stack.imex.orgId,
        scenarioId,
        scenarioName: 'resume',
        executionId,
        blueprint: scenario?.blueprint,
        trigger: 'attempt',
        resume: {
          ieId: 'cd'.repeat(16),
          failer: 3,
          context: { '1': { hello: 'x' }, '2': { statusCode: 200, headers: [], data: { v: 'kept' } } },
          originalExecutionId: 'ef'.repeat(16),
          bundleIndex: 0,
        },
      },
    ],
  });
  expect(await handle.result()).toMatchObject({ status: 'success', operations: 1 });
  expect(stack.http.count('/resume-two')).toBe(0);
  expect(JSON.parse(stack.http.requestsTo('/resume-three').at(-1)?.body ?? '')).toEqual({ v: 'kept' });
});
