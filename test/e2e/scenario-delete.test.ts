/**
 * `DELETE /scenarios/{id}` end to end on the real API, worker, dev server and wire-protocol server:
 * refused with the reason while the scenario has open incomplete executions, and then with
 * `force=true` every IE is deleted through its workflow (the workflow ends, the quota is freed, a
 * tombstone stays) before the scenario goes.
 */
import { ieWorkflowId } from '../../src/domain';
import { webhookTrigger } from '../helpers/blueprints';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';
import { allScopes, startApi, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let token: string;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { schedule: Array.from({ length: 8 }, () => 3_600_000) });
  http = await new ScriptedHttpServer().start();
  api = await startApi(harness.store, harness.imex, { triggers: harness.imex });
  token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;
});

afterAll(async () => {
  if (harness) await terminateOpenWorkflows(env.client, harness.taskQueue);
  await http?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
});

async function parkingScenario(path: string): Promise<number> {
  http.script(path, { status: 400, body: { error: 'no' } });
  return harness.createScenario({
    name: `delete ${path}`,
    flow: [webhookTrigger, http.httpModule(2, path, { data: '{{1.n}}' })],
    metadata: { scenario: { dlq: true } },
  });
}

test('refused with the reason while IEs are open; with force=true its IEs are deleted cleanly, then the scenario', async () => {
  const scenarioId = await parkingScenario('/delete-me');
  const ieIds: string[] = [];
  for (const n of [1, 2]) {
    const { executionId } = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { n } });
    const result = await harness.imex.scenarioRunResult(executionId);
    ieIds.push(result.parked[0]?.ieId as string);
  }
  const used = (await harness.store.quota.usage(harness.orgId)).used;
  expect(used).toBeGreaterThan(0);

  const refused = await api.call('DELETE', `/scenarios/${scenarioId}`, { token });
  expect(refused.status).toBe(409);
  expect(refused.body).toMatchObject({
    code: 'IM_CONFLICT',
    detail: { reason: 'it has 2 open incomplete executions: resolve or delete them, or delete with force=true' },
  });
  const kept = await harness.store.scenarios.get(harness.orgId, scenarioId);
  expect(kept?.isActive).toBe(true);
  expect(await harness.store.incompleteExecutions.countOpen(harness.orgId, scenarioId)).toBe(2);

  const bad = await api.call('DELETE', `/scenarios/${scenarioId}?force=yes`, { token });
  expect(bad.status).toBe(400);
  expect(bad.body.detail).toEqual([expect.objectContaining({ path: 'force' })]);

  const deleted = await api.call('DELETE', `/scenarios/${scenarioId}?force=true`, { token });
  expect(deleted.status).toBe(200);
  expect(deleted.body).toEqual({ scenario: { id: scenarioId, deleted: true, dlqsDeleted: 2 } });
  expect((await api.call('GET', `/scenarios/${scenarioId}`, { token })).status).toBe(404);
  for (const ieId of ieIds) {
    const doc = await harness.store.incompleteExecutions.get(ieId);
    expect(doc).toMatchObject({ deleted: true });
    expect((await api.call('GET', `/dlqs/${ieId}`, { token })).status).toBe(404);
    const description = await env.client.workflow.getHandle(ieWorkflowId(ieId)).describe();
    expect(description.status.name).toBe('COMPLETED');
  }
  expect((await harness.store.quota.usage(harness.orgId)).used).toBe(0);
  // The runs' history stays readable in the store, for audit.
  expect((await harness.store.executions.listByScenario(harness.orgId, scenarioId)).length).toBe(2);
  expect((await api.call('DELETE', `/scenarios/${scenarioId}?force=true`, { token })).status).toBe(404);
});

test('a scenario without IEs is deleted without force; another organization cannot delete it', async () => {
  const scenarioId = await parkingScenario('/delete-plain');
  const other = await harness.store.organizations.create({ name: 'Other' });
  const otherToken = (await harness.store.apiTokens.create({ orgId: other._id, scopes: allScopes })).token;
  expect((await api.call('DELETE', `/scenarios/${scenarioId}`, { token: otherToken })).status).toBe(404);
  const readOnly = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: ['scenarios:read'] })).token;
  expect((await api.call('DELETE', `/scenarios/${scenarioId}`, { token: readOnly })).status).toBe(403);
  const deleted = await api.call('DELETE', `/scenarios/${scenarioId}`, { token });
  expect(deleted.body).toEqual({ scenario: { id: scenarioId, deleted: true, dlqsDeleted: 0 } });
  expect(await harness.store.scenarios.get(harness.orgId, scenarioId)).toBeNull();
});
