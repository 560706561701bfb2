/**
 * Make's flow control on the real dev server and wire-protocol server, with the HTTP module
 * talking to a real local server: filters, routers, error-handler routes with each directive,
 * Break's own schedule, attempts that resume inside a route, per-scenario policy overrides.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { ieDocument, waitForIeDocument } from '../helpers/ie-waits';
import { ieWorkflowId, validateBlueprint, type IncompleteExecutionInput } from '../../src/domain';
import type { IncompleteExecutionDocument } from '../../src/store';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;
/** The deployment's schedule: long, so a test that resolves quickly proves another schedule applied. */
const DEPLOYMENT_SCHEDULE = [10 * 60_000];

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: DEPLOYMENT_SCHEDULE });
  http = await new ScriptedHttpServer().start();
});

afterAll(async () => {
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

const webhook = { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} };
function httpModule(id: number, path: string, extra: Record<string, unknown> = {}, more: Record<string, unknown> = {}) {
  return {
    id,
    module: 'http:ActionSendData',
    version: 3,
    parameters: { handleErrors: true },
    mapper: {
      url: http.url(path),
      method: 'post',
      bodyType: 'raw',
      contentType: 'application/json',
      parseResponse: true,
      ...extra,
    },
    ...more,
  };
}
const iterator = (id: number, array: string) => ({
  id,
  module: 'builtin:BasicFeeder',
  version: 1,
  parameters: {},
  mapper: { array },
});
const filter = (a: string, o: string, b?: string) => ({ filter: { name: `${o}`, conditions: [[{ a, o, b }]] } });

async function run(flow: unknown[], data: unknown = { n: 1 }, scenario: Record<string, unknown> = { dlq: true }) {
  const scenarioId = await imex.createScenario({ name: 'flow control', flow, metadata: { scenario } });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data });
  const result = await imex.imex.scenarioRunResult(executionId);
  return { scenarioId, executionId, result };
}

const ieDoc = (ieId: string) => ieDocument(imex.store, ieId);
const waitForIe = (ieId: string, what: string, predicate: (doc: IncompleteExecutionDocument) => boolean) =>
  waitForIeDocument(imex.store, ieId, what, predicate);

/** The input the IE workflow was started with (its schedule), read from its history. */
async function ieWorkflowInput(ieId: string): Promise<IncompleteExecutionInput> {
  const history = await env.client.workflow.getHandle(ieWorkflowId(ieId)).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return JSON.parse(Buffer.from(payload?.data ?? []).toString()) as IncompleteExecutionInput;
}

function bodies(path: string): unknown[] {
  return http.requestsTo(path).map((r) => JSON.parse(r.body) as unknown);
}

test('a filter stops the bundles that fail it: no request, no operation, no error', async () => {
  const { result } = await run(
    [
      webhook,
      iterator(2, '{{1.items}}'),
      httpModule(3, '/filtered', { data: '{"sku":"{{2.sku}}"}' }, filter('{{2.kind}}', 'text:equal:ci', 'keep')),
    ],
    { items: [{ sku: 'a', kind: 'keep' }, { sku: 'b', kind: 'drop' }, { sku: 'c', kind: 'KEEP' }, { sku: 'd' }] },
  );
  expect(result).toMatchObject({ status: 'success', operations: 4, parked: [] });
  expect(bodies('/filtered')).toEqual([{ sku: 'a' }, { sku: 'c' }]);
});

test('a filter on a bundle kept in the store by reference is decided by an activity', async () => {
  const big = 'x'.repeat(100 * 1024); // above the inline limit: module 1's bundle travels by reference
  const pass = await run([webhook, httpModule(2, '/ref-filter', {}, filter('{{1.kind}}', 'text:equal', 'keep'))], {
    big,
    kind: 'keep',
  });
  const stop = await run([webhook, httpModule(2, '/ref-filter', {}, filter('{{1.kind}}', 'text:equal', 'keep'))], {
    big,
    kind: 'drop',
  });
  expect([pass.result.operations, stop.result.operations]).toEqual([2, 1]);
  expect(http.count('/ref-filter')).toBe(1);
  const history = await env.client.workflow.getHandle(`run-${stop.executionId}`).fetchHistory();
  const activityTypes = (history.events ?? []).flatMap(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
  );
  expect(activityTypes).toContain('evaluateFlowExpressions');
});

describe('a router with two filtered routes', () => {
  const flow = (prefix: string) => [
    webhook,
    httpModule(2, `/${prefix}-before`),
    {
      id: 3,
      module: 'builtin:BasicRouter',
      version: 1,
      routes: [
        {
          flow: [
            httpModule(4, `/${prefix}-a1`, { data: '{"n":{{1.n}}}' }, filter('{{1.n}}', 'number:greater', '0')),
            httpModule(5, `/${prefix}-a2`, { data: '{"a1":"{{4.data.v}}"}' }),
          ],
        },
        { flow: [httpModule(6, `/${prefix}-b`, { data: '{"n":{{1.n}}}' }, filter('{{1.n}}', 'exist'))] },
        { flow: [httpModule(7, `/${prefix}-c`, {}, filter('{{1.n}}', 'number:less', '0'))] },
      ],
    },
  ];

  test('a failing route parks only its path; the other routes complete', async () => {
    http.script('/park-a1', { status: 200, body: { v: 'one' } });
    http.script('/park-a2', { status: 422 });
    const { result, executionId } = await run(flow('park'), { n: 5 });
    expect(result).toMatchObject({ status: 'warning', parked: [{ failer: 5, bundleIndex: 0 }], operations: 5 });
    expect(http.count('/park-b')).toBe(1);
    expect(http.count('/park-c')).toBe(0); // filtered out
    const ieId = result.parked[0]?.ieId as string;
    const doc = await ieDoc(ieId);
    expect(doc).toMatchObject({ executionId, failer: 5, status: 'unresolved', error: { type: 'DataError' } });
    expect(Object.keys(JSON.parse(doc.context ?? '{}') as object).sort()).toEqual(['1', '2', '4']);
  });

  test("an attempt resumes inside the route and runs only that route's remainder", async () => {
    http.script('/resume-a1', { status: 200, body: { v: 'kept' } });
    http.script('/resume-a2', { status: 422 }, { status: 200 });
    const { result } = await run(flow('resume'), { n: 5 });
    const ieId = result.parked[0]?.ieId as string;
    await waitForIe(ieId, 'the IE to be stored', (d) => d.status === 'unresolved');

    await imex.imex.requestIncompleteExecution(ieId, 'retry');
    await waitForIe(ieId, 'the IE to resolve', (d) => d.resolved);
    expect(http.count('/resume-a2')).toBe(2);
    expect(bodies('/resume-a2').at(-1)).toEqual({ a1: 'kept' });
    for (const path of ['/resume-before', '/resume-a1', '/resume-b']) expect(http.count(path)).toBe(1);
  });
});

describe('error-handler routes and their directives', () => {
  /** Module 3 fails with a DataError (422); its handler route logs the error, then `directive`. */
  function handled(prefix: string, directive: Record<string, unknown>, data: unknown = { n: 1 }) {
    http.script(`/${prefix}-fail`, { status: 422, body: { problem: 'bad' } });
    return run(
      [
        webhook,
        httpModule(2, `/${prefix}-ok`),
        httpModule(
          3,
          `/${prefix}-fail`,
          {},
          {
            onerror: [
              httpModule(10, `/${prefix}-log`, {
                contentType: 'text/plain',
                data: 'type={{3.error.type}} message={{3.error.message}}',
              }),
              { id: 11, version: 1, parameters: {}, ...directive },
            ],
          },
        ),
        httpModule(4, `/${prefix}-after`, { data: '{"x":"{{3.data.x}}"}' }),
      ],
      data,
    );
  }

  test("the route maps the failed module's error", async () => {
    await handled('mapped', { module: 'builtin:Ignore' });
    expect(http.requestsTo('/mapped-log').map((r) => r.body)).toEqual([
      expect.stringMatching(/^type=DataError message=.*422.*"problem":"bad"/),
    ]);
  });

  test("Resume: the directive's mapped output replaces the failed module's, and the flow goes on", async () => {
    const { result } = await handled('resume', {
      module: 'builtin:Resume',
      mapper: { data: { x: 'instead {{1.n}}' } },
    });
    expect(result).toMatchObject({ status: 'success', parked: [] });
    expect(bodies('/resume-after')).toEqual([{ x: 'instead 1' }]);
  });

  test('Ignore: the bundle is dropped and the run succeeds', async () => {
    const { result } = await handled('ignore', { module: 'builtin:Ignore' });
    expect(result).toMatchObject({ status: 'success', parked: [] });
    expect(http.count('/ignore-after')).toBe(0);
  });

  test('Commit: the run stops with status success', async () => {
    const { result } = await handled('commit', { module: 'builtin:Commit' });
    expect(result).toMatchObject({ status: 'success', parked: [] });
    expect(http.count('/commit-after')).toBe(0);
  });

  test('Rollback: the run stops with status error and stores nothing', async () => {
    const { result, scenarioId } = await handled('rollback', { module: 'builtin:Rollback' });
    expect(result).toMatchObject({ status: 'error', error: { type: 'DataError', moduleId: 3 }, parked: [] });
    expect(http.count('/rollback-after')).toBe(0);
    expect(await imex.store.incompleteExecutions.collection.countDocuments({ scenarioId })).toBe(0);
  });

  test('Break: stores an IE whose auto-retry schedule is its own count and interval; the run warns', async () => {
    const { result } = await handled('break', {
      module: 'builtin:Break',
      mapper: { retry: true, count: 2, interval: 0.005 }, // 300 ms
    });
    expect(result).toMatchObject({ status: 'warning', parked: [{ failer: 3 }] });
    const ieId = result.parked[0]?.ieId as string;
    expect((await ieWorkflowInput(ieId)).schedule).toEqual([300, 300]);
    const exhausted = await waitForIe(ieId, 'both attempts to fail', (d) => d.attempts === 2 && !d.retry);
    expect(exhausted).toMatchObject({ status: 'unresolved', failer: 3, error: { type: 'DataError' } });
    expect(http.count('/break-fail')).toBe(3); // the run, then two attempts
    expect(http.count('/break-ok')).toBe(1);
  });

  test('Break on the first module stores an IE, after the in-run retries', async () => {
    http.script('/first-break', { status: 503 });
    const { result } = await run([
      httpModule(1, '/first-break', {}, { onerror: [{ id: 9, module: 'builtin:Break', mapper: { retry: false } }] }),
      httpModule(2, '/first-break-after'),
    ]);
    expect(result).toMatchObject({ status: 'warning', parked: [{ failer: 1, bundleIndex: 0 }] });
    expect(http.count('/first-break')).toBe(3); // Make: in-run retries first, then the handler
    const ieId = result.parked[0]?.ieId as string;
    const doc = await waitForIe(ieId, 'the IE to be stored', (d) => d.status === 'unresolved');
    expect(doc).toMatchObject({ failer: 1, retry: false, error: { type: 'ConnectionError' } });
    expect(http.count('/first-break-after')).toBe(0);
  });
});

describe("a scenario's own policy overrides", () => {
  const flow = (path: string) => [webhook, httpModule(2, path)];
  const overrides = { dlq: true, imex: { policy: { DataError: { outcome: 'park-auto-retry' } }, schedule: ['300ms'] } };

  test('make a DataError auto-retried (on its own schedule) for that scenario only', async () => {
    http.script('/override', { status: 400 }, { status: 200 });
    const { result } = await run(flow('/override'), { n: 1 }, overrides);
    const ieId = result.parked[0]?.ieId as string;
    expect((await ieWorkflowInput(ieId)).schedule).toEqual([300]);
    await waitForIe(ieId, 'the IE to resolve by itself', (d) => d.resolved);
    expect(http.count('/override')).toBe(2);

    http.script('/no-override', { status: 400 });
    const other = await run(flow('/no-override'));
    const otherId = other.result.parked[0]?.ieId as string;
    expect(await waitForIe(otherId, 'the IE to wait', (d) => d.status === 'unresolved')).toMatchObject({
      retry: false,
    });
  });

  test('retry a category in the run that the default table does not', async () => {
    http.script('/in-run', { status: 400 }, { status: 400 }, { status: 200 });
    const { result } = await run(
      flow('/in-run'),
      { n: 1 },
      {
        dlq: true,
        imex: { policy: { DataError: { inRun: { retry: true, initialIntervalMs: 50 } } } },
      },
    );
    expect(result).toMatchObject({ status: 'success', parked: [] });
    expect(http.count('/in-run')).toBe(3);
  });
});

test('a Make export with a router, filtered routes and error handlers validates and runs end to end', async () => {
  http.script('/crm', { status: 200, body: { id: 'c-1' } });
  http.script('/erp', { status: 503 });
  const designer = (x: number, y: number) => ({ designer: { x, y }, restore: {}, expect: [] });
  const exported = {
    blueprint: {
      name: 'Orders: CRM and ERP',
      flow: [
        { ...webhook, parameters: { hook: 1, maxResults: 1 }, metadata: designer(0, 0) },
        { ...iterator(2, '{{1.orders}}'), metadata: designer(300, 0) },
        {
          id: 3,
          module: 'builtin:BasicRouter',
          version: 1,
          mapper: null,
          metadata: designer(600, 0),
          routes: [
            {
              flow: [
                {
                  ...httpModule(
                    4,
                    '/crm',
                    { data: '{"order":"{{2.id}}"}' },
                    filter('{{2.total}}', 'number:greaterorequal', '100'),
                  ),
                  metadata: designer(900, -150),
                  onerror: [{ id: 40, module: 'builtin:Ignore', version: 1, metadata: designer(900, 0) }],
                },
                httpModule(5, '/crm-note', { data: '{"contact":"{{4.data.id}}","order":"{{2.id}}"}' }),
              ],
            },
            {
              flow: [
                {
                  ...httpModule(
                    6,
                    '/erp',
                    { data: '{"order":"{{2.id}}"}' },
                    filter('{{2.country}}', 'text:equal:ci', 'de'),
                  ),
                  metadata: designer(900, 150),
                  onerror: [
                    {
                      id: 60,
                      module: 'builtin:Break',
                      version: 1,
                      mapper: { retry: 'false', count: '3', interval: '15' },
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
      metadata: { instant: true, version: 1, designer: { orphans: [] }, scenario: { dlq: true, maxErrors: 3 } },
    },
    scheduling: { type: 'immediately' },
  };
  const validation = validateBlueprint(exported, imex.registry);
  expect(validation.ok ? [] : validation.errors).toEqual([]);
  if (!validation.ok) return;

  const { result } = await run(
    validation.blueprint.flow,
    {
      orders: [
        { id: 'o1', total: 250, country: 'DE' },
        { id: 'o2', total: 20, country: 'fr' },
        { id: 'o3', total: 120, country: 'fr' },
      ],
    },
    validation.blueprint.metadata.scenario,
  );
  // o1 and o3 reach the CRM route; o1 alone the ERP route, where Break parks it after 3 tries.
  expect(bodies('/crm')).toEqual([{ order: 'o1' }, { order: 'o3' }]);
  expect(bodies('/crm-note')).toEqual([
    { contact: 'c-1', order: 'o1' },
    { contact: 'c-1', order: 'o3' },
  ]);
  expect(http.count('/erp')).toBe(3);
  expect(result).toMatchObject({ status: 'warning', parked: [{ failer: 6, bundleIndex: 0 }] });
  expect(await ieDoc(result.parked[0]?.ieId as string)).toMatchObject({ failer: 6, retry: false });
});
