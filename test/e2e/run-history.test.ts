/**
 * A run's history, as Make's HISTORY shows it, end to end on the real API, worker, dev server and
 * wire-protocol server, modules calling a real local HTTP server: a run's detail lists its module
 * operations and the incomplete executions it parked with their reasons, `GET /dlqs?executionId=`
 * lists the same IEs (the CLI shows both), and a run that parks ends with status warning, which never counts towards
 * the consecutive errors that deactivate a scenario (Make §1.6: a webhook run's error would).
 */
import { waitFor } from '../../src/stack/wait';
import { webhookTrigger } from '../helpers/blueprints';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';
import { allScopes, startApi, type RunningApi } from './support/api';
import { runImexCli } from './support/cli';

let env: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let token: string;
let otherToken: string;

// Auto-retries an hour away: nothing runs again while a test looks.
const SCHEDULE = Array.from({ length: 8 }, () => 3_600_000);

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { schedule: SCHEDULE });
  http = await new ScriptedHttpServer().start();
  api = await startApi(harness.store, harness.imex);
  token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;
  const other = await harness.store.organizations.create({ name: 'Other' });
  otherToken = (await harness.store.apiTokens.create({ orgId: other._id, scopes: allScopes })).token;
});

afterAll(async () => {
  if (harness) await terminateOpenWorkflows(env.client, harness.taskQueue);
  await http?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
});

/** webhook → 2 iterator over `items` → 3 one POST per item to `path` (HTTP 400 there: DataError, parked). */
function fanOutBlueprint(path: string) {
  return {
    name: `history ${path}`,
    flow: [
      webhookTrigger,
      { id: 2, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } },
      http.httpModule(3, path, { data: '{"n":{{2.n}}}' }),
    ],
    metadata: { scenario: { dlq: true } },
  };
}

async function runToEnd(scenarioId: number, data: unknown) {
  const { executionId } = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data });
  return harness.imex.scenarioRunResult(executionId);
}

test("a run's detail lists its module operations and the IEs it parked, and GET /dlqs?executionId= the same IEs", async () => {
  http.script('/history', { status: 200 }, { status: 400, body: { error: 'no such n' } });
  const scenarioId = await harness.createScenario(fanOutBlueprint('/history'));
  const run = await runToEnd(scenarioId, { items: [{ n: 1 }, { n: 2 }, { n: 3 }] });
  expect(run.status).toBe('warning');
  expect(run.parked).toHaveLength(2);
  const other = await runToEnd(scenarioId, { items: [{ n: 4 }] });
  expect(other.parked).toHaveLength(1);

  const detail = await api.call('GET', `/scenarios/${scenarioId}/logs/${run.executionId}`, { token });
  expect(detail.status).toBe(200);
  const log = detail.body.scenarioLog;
  expect(log).toMatchObject({ id: run.executionId, status: 2, trigger: 'manual', operations: 5, dlqCount: 2 });
  expect(log.log.map((e: { moduleId: number; status: string }) => `${e.moduleId}:${e.status}`)).toEqual([
    '1:success',
    '2:success',
    '3:success',
    '3:error',
    '3:error',
  ]);
  expect(log.log[3]).toMatchObject({ module: 'http:ActionSendData', errorType: 'DataError', bundleIndex: 1 });
  const parkedIds = run.parked.map((p) => p.ieId).sort();
  expect(log.dlqs.map((d: { id: string }) => d.id).sort()).toEqual(parkedIds);
  for (const dlq of log.dlqs) {
    expect(dlq).toMatchObject({ status: 'unresolved', errorType: 'DataError', failer: 3 });
    expect(dlq.reason).toContain('400');
  }

  // The same IEs in the IE list, and only this run's; each IE points back at the run.
  const listed = await api.call('GET', `/dlqs?executionId=${run.executionId}`, { token });
  expect(listed.status).toBe(200);
  expect(listed.body.dlqs.map((d: { id: string }) => d.id).sort()).toEqual(parkedIds);
  const one = await api.call('GET', `/dlqs/${parkedIds[0]}`, { token });
  expect(one.body.dlq.executionId).toBe(run.executionId);
  const scenarioIes = await api.call('GET', `/dlqs?scenarioId=${scenarioId}`, { token });
  expect(scenarioIes.body.dlqs).toHaveLength(3);

  // The same from the CLI: the run's detail, then its IEs by execution id.
  const cliEnv = { IMEX_API_URL: api.url, IMEX_TOKEN: token };
  const shown = await runImexCli(['scenario', 'logs', String(scenarioId), run.executionId], cliEnv, 60_000);
  expect(shown).toMatchObject({ code: 0, stderr: '' });
  expect(shown.stdout).toContain(`Run ${run.executionId} of scenario ${scenarioId}: warning`);
  expect(shown.stdout).toMatch(/3 http:ActionSendData\s+1\s+error\s+\d+\s+DataError: /);
  expect(shown.stdout).toContain('Incomplete executions parked: 2');
  for (const id of parkedIds) expect(shown.stdout).toContain(id);
  const listedByCli = await runImexCli(['ie', 'list', '--execution', run.executionId, '--json'], cliEnv, 60_000);
  const cliIds = (JSON.parse(listedByCli.stdout) as { dlqs: { id: string }[] }).dlqs.map((d) => d.id).sort();
  expect(cliIds).toEqual(parkedIds);
});

test("a run's detail is not found for another scenario or organization, and a bad execution id is named", async () => {
  http.script('/history-ok', { status: 200 });
  const scenarioId = await harness.createScenario(fanOutBlueprint('/history-ok'));
  const otherScenario = await harness.createScenario(fanOutBlueprint('/history-ok'));
  const run = await runToEnd(scenarioId, { items: [{ n: 1 }] });
  expect(run.status).toBe('success');

  const ok = await api.call('GET', `/scenarios/${scenarioId}/logs/${run.executionId}`, { token });
  expect(ok.body.scenarioLog).toMatchObject({ status: 1, dlqs: [], dlqCount: 0, notes: [] });
  expect((await api.call('GET', `/scenarios/${otherScenario}/logs/${run.executionId}`, { token })).status).toBe(404);
  expect(
    (await api.call('GET', `/scenarios/${scenarioId}/logs/${run.executionId}`, { token: otherToken })).status,
  ).toBe(404);
  expect((await api.call('GET', `/dlqs?executionId=${run.executionId}`, { token })).body.dlqs).toEqual([]);

  const bad = await api.call('GET', `/scenarios/${scenarioId}/logs/not-an-id`, { token });
  expect(bad.status).toBe(400);
  expect(bad.body.detail).toEqual([expect.objectContaining({ path: 'executionId' })]);
  const badList = await api.call('GET', '/dlqs?executionId=XYZ', { token });
  expect(badList.status).toBe(400);
  expect(badList.body.detail).toEqual([expect.objectContaining({ path: 'executionId' })]);
});

test('webhook runs that park end with warning and never deactivate the scenario; one that fails does', async () => {
  http.script('/history-hook', { status: 400 });
  const blueprint = { ...fanOutBlueprint('/history-hook'), metadata: { scenario: { dlq: true, maxErrors: 1 } } };
  const scenarioId = await harness.createScenario(blueprint);
  const hookId = (await harness.store.scenarios.get(harness.orgId, scenarioId))?.hookId as string;
  for (const n of [1, 2, 3]) {
    expect((await harness.imex.acceptWebhook(hookId, { items: [{ n }] })).status).toBe('accepted');
  }
  const logs = await waitFor(
    'the three webhook runs to end',
    async () => {
      const runs = await harness.store.executions.listByScenario(harness.orgId, scenarioId);
      return runs.length === 3 ? runs : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(logs.map((l) => [l.trigger, l.status])).toEqual(Array(3).fill(['webhook', 'warning']));
  expect(await harness.store.incompleteExecutions.countOpen(harness.orgId, scenarioId)).toBe(3);
  expect(await harness.store.runErrors.collection.countDocuments({ scenarioId })).toBe(0);
  const scenario = await harness.store.scenarios.get(harness.orgId, scenarioId);
  expect(scenario?.isActive).toBe(true);
  expect(scenario?.deactivationReason).toBeUndefined();

  // The contrast: the same scenario without storing, its first webhook error deactivates it.
  await harness.store.scenarios.update(harness.orgId, scenarioId, {
    blueprint: {
      ...scenario!.blueprint,
      metadata: { ...scenario!.blueprint.metadata, scenario: { ...scenario!.blueprint.metadata.scenario, dlq: false } },
    },
  });
  expect((await harness.imex.acceptWebhook(hookId, { items: [{ n: 4 }] })).status).toBe('accepted');
  const off = await waitFor(
    'the scenario to be deactivated',
    async () => {
      const s = await harness.store.scenarios.get(harness.orgId, scenarioId);
      return s && !s.isActive ? s : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(off.deactivationReason).toMatch(/DataError/);
});
