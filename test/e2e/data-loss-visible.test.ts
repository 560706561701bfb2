/**
 * Data loss is visible: a run whose failed bundle was discarded by "enable data loss" (the
 * organization's IE storage full) says so in its scenario log entry (API) and in
 * `imex scenario logs` (CLI), unlike a run whose IE was stored. Real worker, real servers.
 */
import { blueprintSchema } from '../../src/domain';
import { webhookTrigger } from '../helpers/blueprints';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { allScopes, startApi, type RunningApi } from './support/api';
import { runImexCli } from './support/cli';

let env: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { schedule: [3_600_000] });
  http = await new ScriptedHttpServer().start();
  http.script('/bad', { status: 422 });
  api = await startApi(harness.store, harness.imex);
});
afterAll(async () => {
  await http?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
});

/** An organization with `quotaBytes` of IE storage, a data-loss scenario of its own, and a token. */
async function orgWithScenario(quotaBytes: number) {
  const { store } = harness;
  const orgId = (await store.organizations.create({ name: env.unique('org'), ieQuotaBytes: quotaBytes }))._id;
  const scenario = await store.scenarios.create({
    orgId,
    name: 'data loss',
    blueprint: blueprintSchema.parse({
      name: 'data loss',
      flow: [webhookTrigger, http.httpModule(2, '/bad', { data: '{{1.payload}}' })],
      metadata: { scenario: { dlq: true, dataloss: true } },
    }),
  });
  const token = (await store.apiTokens.create({ orgId, scopes: allScopes })).token;
  return { orgId, scenarioId: scenario.id, token };
}

async function runOnce(orgId: number, scenarioId: number, payload: string) {
  const { executionId } = await harness.imex.startScenarioRun({ orgId, scenarioId, data: { payload } });
  return harness.imex.scenarioRunResult(executionId);
}

function imexCli(args: string[], token: string) {
  return runImexCli(args, { IMEX_API_URL: api.url, IMEX_TOKEN: token });
}

test('a run whose bundle was discarded says so in its scenario log entry and in the CLI', async () => {
  const full = await orgWithScenario(1_000);
  const lost = await runOnce(full.orgId, full.scenarioId, 'x'.repeat(2_000));
  expect(lost.status).toBe('warning');
  expect(lost.parked[0]?.ieId).toBeUndefined();

  const roomy = await orgWithScenario(10 * 1024 * 1024);
  const kept = await runOnce(roomy.orgId, roomy.scenarioId, 'small');
  expect(kept.status).toBe('warning');
  expect(kept.parked[0]?.ieId).toMatch(/^[0-9a-f]{32}$/);

  const lostLogs = await api.call('GET', `/scenarios/${full.scenarioId}/logs`, { token: full.token });
  expect(lostLogs.status).toBe(200);
  expect(lostLogs.body.scenarioLogs).toEqual([
    expect.objectContaining({
      id: lost.executionId,
      status: 2,
      discarded: [
        {
          moduleId: 2,
          bundleIndex: 0,
          reason: expect.stringMatching(
            /^data loss: module 2, bundle 0 \(\d+ bytes\) was not stored: .*storage is full/,
          ),
        },
      ],
    }),
  ]);
  // The run whose IE was stored looks as it always did: no `discarded`.
  const keptLogs = await api.call('GET', `/scenarios/${roomy.scenarioId}/logs`, { token: roomy.token });
  expect(keptLogs.body.scenarioLogs).toEqual([expect.objectContaining({ id: kept.executionId, status: 2 })]);
  expect(keptLogs.body.scenarioLogs[0]).not.toHaveProperty('discarded');

  const cli = await imexCli(['scenario', 'logs', String(full.scenarioId)], full.token);
  expect(cli).toMatchObject({ code: 0, stderr: '' });
  expect(cli.stdout).toMatch(/^ID\s+STATUS\s+TIMESTAMP\s+DURATIONMS\s+OPERATIONS\s+ERROR\s+DISCARDED$/m);
  expect(cli.stdout).toMatch(new RegExp(`^${lost.executionId}\\s+warning\\s.*\\s1 \\(data loss\\)$`, 'm'));
  expect(cli.stdout).toContain(`${lost.executionId}: module 2, bundle 0 discarded: data loss: module 2, bundle 0`);
  const cliKept = await imexCli(['scenario', 'logs', String(roomy.scenarioId)], roomy.token);
  expect(cliKept.stdout).not.toMatch(/DISCARDED|discarded/);
});
