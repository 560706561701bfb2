/**
 * `POST /scenarios/{id}/run` with the real ImexClient and a real imex worker: the run happens,
 * and its log is listed with Make's status code; Make's `responsive` answers with the run's status,
 * and `callbackUrl` gets the outcome POSTed to a real local HTTP server, retried while it fails.
 */
import { waitFor } from '../../src/stack/wait';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startApi, webhookBlueprint, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let api: RunningApi;
let token: string;
let receiver: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env);
  api = await startApi(harness.store, harness.imex);
  receiver = await new ScriptedHttpServer().start();
  token = (
    await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: ['scenarios:read', 'scenarios:write'] })
  ).token;
});
afterAll(async () => {
  await receiver?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
});

test('runs an active scenario through the API and lists the run in its logs', async () => {
  const created = await api.call('POST', '/scenarios', {
    token,
    body: { name: 'Greeter', blueprint: webhookBlueprint() },
  });
  const id = created.body.scenario.id as number;
  expect((await api.call('POST', `/scenarios/${id}/start`, { token })).status).toBe(200);

  const run = await api.call('POST', `/scenarios/${id}/run`, { token, body: { data: { name: 'Ada' } } });
  expect(run.status).toBe(200);
  const executionId = run.body.executionId as string;
  expect(executionId).toMatch(/^[0-9a-f]{32}$/);
  await expect(harness.imex.scenarioRunResult(executionId)).resolves.toMatchObject({ status: 'success' });

  const logs = await api.call('GET', `/scenarios/${id}/logs`, { token });
  expect(logs.body.scenarioLogs).toEqual([
    expect.objectContaining({ id: executionId, status: 1, operations: 2, trigger: 'manual' }),
  ]);
});

test('a stopped scenario answers 409 with the reason and starts no run', async () => {
  const created = await api.call('POST', '/scenarios', { token, body: { name: 'Off', blueprint: webhookBlueprint() } });
  const id = created.body.scenario.id as number;
  await api.call('POST', `/scenarios/${id}/start`, { token });
  await api.call('POST', `/scenarios/${id}/stop`, { token });
  const run = await api.call('POST', `/scenarios/${id}/run`, { token, body: {} });
  expect(run.status).toBe(409);
  expect(run.body).toMatchObject({ code: 'IM_CONFLICT', detail: { reason: expect.stringContaining('not active') } });
  expect((await api.call('GET', `/scenarios/${id}/logs`, { token })).body.scenarioLogs).toEqual([]);
});

test("responsive answers with the run's status; callbackUrl gets the outcome, retried until the receiver takes it", async () => {
  const created = await api.call('POST', '/scenarios', {
    token,
    body: { name: 'Called back', blueprint: webhookBlueprint() },
  });
  const id = created.body.scenario.id as number;
  await api.call('POST', `/scenarios/${id}/start`, { token });
  // The receiver fails once: the run's workflow tries again.
  receiver.script('/done', { status: 503 }, { status: 200 });
  const run = await api.call('POST', `/scenarios/${id}/run`, {
    token,
    body: { data: { name: 'Ada' }, responsive: true, callbackUrl: receiver.url('/done') },
  });
  expect(run.status).toBe(200);
  expect(run.body).toEqual({ executionId: expect.stringMatching(/^[0-9a-f]{32}$/), status: 1 });
  const executionId = run.body.executionId as string;
  const calls = await waitFor(
    'the callback to be taken',
    async () => (receiver.requestsTo('/done').length >= 2 ? receiver.requestsTo('/done') : undefined),
    { timeoutMs: 60_000 },
  );
  expect(calls.map((c) => c.status)).toEqual([503, 200]);
  for (const call of calls) {
    expect(call.method).toBe('POST');
    expect(call.headers['idempotency-key']).toBe(executionId);
    expect(JSON.parse(call.body)).toEqual({ executionId, scenarioId: id, status: 1 });
  }
});

test('a sequential scenario (through its coordinator) calls back with the error of a failed run', async () => {
  const blueprint = {
    name: 'Fails',
    flow: [
      { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} },
      { id: 2, module: 'json:ParseJSON', version: 1, parameters: {}, mapper: { json: '{{1.text}}' } },
    ],
    metadata: { scenario: { sequential: true } },
  };
  const created = await api.call('POST', '/scenarios', { token, body: { name: 'Fails', blueprint } });
  expect(created.status).toBe(200);
  const id = created.body.scenario.id as number;
  await api.call('POST', `/scenarios/${id}/start`, { token });
  receiver.script('/failed', { status: 204 });
  const run = await api.call('POST', `/scenarios/${id}/run`, {
    token,
    body: { data: { text: 'not json' }, callbackUrl: receiver.url('/failed') },
  });
  expect(run.body).toEqual({ executionId: expect.any(String) });
  const [call] = await waitFor(
    'the callback',
    async () => (receiver.requestsTo('/failed').length > 0 ? receiver.requestsTo('/failed') : undefined),
    { timeoutMs: 60_000 },
  );
  expect(JSON.parse(call?.body ?? '{}')).toEqual({
    executionId: run.body.executionId,
    scenarioId: id,
    status: 3,
    error: { type: expect.any(String), message: expect.any(String) },
  });
});

test('a responsive run still going when the wait is up answers 202 with its execution id; the run goes on to its end', async () => {
  const shortWait = await startApi(harness.store, harness.imex, { responsiveWaitMs: 1000 });
  try {
    const blueprint = {
      name: 'Slow',
      flow: [
        { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} },
        { id: 2, module: 'util:FunctionSleep', version: 1, parameters: {}, mapper: { duration: 4 } },
      ],
      metadata: { scenario: {} },
    };
    const created = await shortWait.call('POST', '/scenarios', { token, body: { name: 'Slow', blueprint } });
    expect(created.status).toBe(200);
    const id = created.body.scenario.id as number;
    await shortWait.call('POST', `/scenarios/${id}/start`, { token });
    const run = await shortWait.call('POST', `/scenarios/${id}/run`, { token, body: { responsive: true } });
    expect(run.status).toBe(202);
    expect(run.body).toEqual({ executionId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    await expect(harness.imex.scenarioRunResult(run.body.executionId as string)).resolves.toMatchObject({
      status: 'success',
    });
    // A run that ends within the wait still answers with its status.
    const quick = await api.call('POST', '/scenarios', {
      token,
      body: { name: 'Quick', blueprint: webhookBlueprint() },
    });
    const quickId = quick.body.scenario.id as number;
    await api.call('POST', `/scenarios/${quickId}/start`, { token });
    const answered = await shortWait.call('POST', `/scenarios/${quickId}/run`, { token, body: { responsive: true } });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ status: 1 });
  } finally {
    await shortWait.close();
  }
});
