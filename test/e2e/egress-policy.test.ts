/**
 * No reach into the platform (docs/security.md#egress-policy): a scenario's HTTP module runs on a
 * real worker whose policy allows loopback, as tests and local development do, and still cannot
 * reach the stack's own Temporal frontend or the imex API, directly or through a redirect from a
 * service it may call. The run parks the bundle as a misconfigured module's (Make's
 * InvalidConfigurationError, for a person), naming host, address and rule.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { httpSendDataModule, webhookTrigger } from '../helpers/blueprints';
import { ieDocument } from '../helpers/ie-waits';
import { testEgressPolicy } from '../helpers/test-egress';
import { createStore, ensureIndexes } from '../../src/store';
import { noIncompleteExecutionRequests, startApi, type RunningApi } from './support/api';
import { stackEndpoint } from '../../src/egress/stack-endpoints';
import type { EgressPolicy } from '../../src/egress/egress-policy';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let egress: EgressPolicy;
let token: string;

beforeAll(async () => {
  env = await openTestEnv();
  http = await new ScriptedHttpServer().start();
  // The API listens first: its port joins the stack's refused servers, as app.ts does.
  const apiStore = createStore(env.db);
  await ensureIndexes(apiStore);
  api = await startApi(apiStore, {
    ...noIncompleteExecutionRequests,
    startScenarioRun: () => Promise.reject(new Error('no runs through this API')),
  });
  egress = await testEgressPolicy(stackEndpoint('API', new URL(api.url).host));
  imex = await startImexHarness(env, { egress });
  token = (await imex.store.apiTokens.create({ orgId: imex.orgId, scopes: ['scenarios:read'] })).token;
});

afterAll(async () => {
  await imex?.stop();
  egress?.close();
  await api?.close();
  await http?.stop();
  await env?.close();
});

async function runParked(url: string, mapper: Record<string, unknown> = {}) {
  const scenarioId = await imex.createScenario({
    name: 'egress',
    flow: [webhookTrigger, httpSendDataModule(2, url, { method: 'get', ...mapper })],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: { n: 1 } });
  const result = await imex.imex.scenarioRunResult(executionId);
  const ieId = result.parked[0]?.ieId;
  if (!ieId) throw new Error(`the run parked nothing: ${JSON.stringify(result)}`);
  return ieDocument(imex.store, ieId);
}

test('a loopback service is reachable in tests (allowed explicitly)', async () => {
  http.script('/fine', { status: 200, body: { ok: true } });
  const scenarioId = await imex.createScenario({
    name: 'egress ok',
    flow: [webhookTrigger, httpSendDataModule(2, http.url('/fine'))],
  });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: {} });
  expect((await imex.imex.scenarioRunResult(executionId)).status).toBe('success');
  expect(http.count('/fine')).toBe(1);
});

test("a redirect from an allowed service to Temporal's frontend is refused and parked for a person", async () => {
  const temporal = `http://${env.temporalAddress}/api/v1/namespaces/default/workflows`;
  http.script('/to-temporal', { status: 302, headers: { location: temporal } });
  const ie = await runParked(http.url('/to-temporal'));
  expect(ie.status).toBe('unresolved');
  expect(ie.error.type).toBe('InvalidConfigurationError');
  expect(ie.error.message).toMatch(/egress policy refuses .*: it is imex's own Temporal frontend/);
  expect(http.count('/to-temporal')).toBe(1);
});

test("the imex API's own port is refused although loopback is allowed", async () => {
  const ie = await runParked(`${api.url}/scenarios?teamId=1`, {
    headers: [{ name: 'authorization', value: `Token ${token}` }],
  });
  expect(ie.error.type).toBe('InvalidConfigurationError');
  expect(ie.error.message).toContain(`(address 127.0.0.1): it is imex's own API`);
});
