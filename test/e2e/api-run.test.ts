/**
 * `POST /scenarios/{id}/run` with the real ImexClient and a real imex worker: the run happens,
 * and its log is listed with Make's status code.
 */
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startApi, webhookBlueprint, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let api: RunningApi;
let token: string;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env);
  api = await startApi(harness.store, harness.imex);
  token = (
    await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: ['scenarios:read', 'scenarios:write'] })
  ).token;
});
afterAll(async () => {
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
