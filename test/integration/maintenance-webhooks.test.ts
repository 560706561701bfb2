/**
 * A webhook payload accepted while Temporal is down (the hook answers 202 once it is durable in
 * MongoDB; its delivery fails) runs once maintenance delivers it (its run started directly: the
 * scenario is not sequential, no coordinator is involved), and only once however often
 * maintenance runs; an inactive scenario's payloads keep waiting.
 */
import { Client, Connection } from '@temporalio/client';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';
import { waitFor } from '../../src/stack/wait';
import { freePort } from '../../src/stack/free-port';
import { coordinatorWorkflowId } from '../../src/domain';
import { ImexClient } from '../../src/temporal/client';
import { failFastRetry } from '../../src/temporal/unavailable';
import type { MaintenanceReport } from '../../activities';

let env: TestEnv;
let imex: ImexHarness;
let server: ScriptedHttpServer;
/** The API's view while Temporal is down: the same store, a Temporal address nothing listens on. */
let temporalDown: ImexClient;
let deadConnection: Connection;
const deadRetry = failFastRetry();

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env);
  server = await new ScriptedHttpServer().start();
  deadConnection = Connection.lazy({
    address: `127.0.0.1:${await freePort()}`,
    interceptors: deadRetry.interceptors,
  });
  temporalDown = new ImexClient({
    client: new Client({ connection: deadConnection, namespace: env.namespace }),
    store: imex.store,
    taskQueue: imex.taskQueue,
  });
});

afterAll(async () => {
  if (imex) await terminateOpenWorkflows(env.client, imex.taskQueue);
  temporalDown?.coordinatorWake.stop();
  if (deadConnection) await deadRetry.close(deadConnection).catch(() => undefined);
  await imex?.stop();
  await server?.stop();
  await env?.close();
});

async function webhookScenario(path: string): Promise<{ scenarioId: number; hookId: string }> {
  const scenarioId = await imex.createScenario({
    name: `wake ${path}`,
    flow: [webhookTrigger, server.httpModule(2, path, { data: '{"n":{{1.n}}}' })],
    metadata: { scenario: {} },
  });
  const scenario = await imex.store.scenarios.get(imex.orgId, scenarioId);
  return { scenarioId, hookId: scenario?.hookId as string };
}

async function maintenance(): Promise<MaintenanceReport> {
  return env.client.workflow.execute('maintenance', {
    taskQueue: imex.taskQueue,
    workflowId: env.unique('maintenance'),
    // Only the wake-up matters here; everything in this database is young.
    args: [{ minAgeMs: 3_600_000, webhookWakeAfterMs: 0 }],
  });
}

async function coordinatorRuns(scenarioId: number): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(coordinatorWorkflowId(imex.taskQueue, scenarioId)).describe();
    return true;
  } catch {
    return false;
  }
}

test('a payload accepted while Temporal is down runs once maintenance delivers it, and once only', async () => {
  server.script('/woken', { status: 200 });
  const { scenarioId, hookId } = await webhookScenario('/woken');
  const accepted = await temporalDown.acceptWebhook(hookId, { n: 41 });
  expect(accepted).toMatchObject({ status: 'accepted', scenarioId });
  const { executionId, seq } = accepted as { executionId: string; seq: number };

  // Nothing wakes the scenario: the payload waits (the gap maintenance closes).
  await new Promise((resolve) => setTimeout(resolve, 3000));
  expect(await coordinatorRuns(scenarioId)).toBe(false);
  expect(server.count('/woken')).toBe(0);
  expect(await imex.store.webhooks.queued(scenarioId)).toBe(1);

  const first = await maintenance();
  expect(first.errors).toEqual([]);
  expect(first.webhooks).toMatchObject({ woken: 1, skipped: 0 });
  expect(first.webhooks?.scenarios).toEqual([expect.objectContaining({ scenarioId, oldestSeq: seq })]);
  const result = await waitFor('the woken payload to run', () => imex.imex.scenarioRunResult(executionId), {
    timeoutMs: 30_000,
  });
  expect(result.status).toBe('success');
  expect(server.requestsTo('/woken').map((r) => JSON.parse(r.body) as unknown)).toEqual([{ n: 41 }]);
  await waitFor(
    'the queue to be consumed',
    async () => ((await imex.store.webhooks.queued(scenarioId)) === 0 ? true : undefined),
    { timeoutMs: 10_000 },
  );

  // Maintenance again: nothing waits, nothing runs twice.
  const second = await maintenance();
  expect(second.webhooks).toMatchObject({ woken: 0 });
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(server.count('/woken')).toBe(1);
  const runs = await imex.store.executions.collection.countDocuments({ scenarioId });
  expect(runs).toBe(1);
  expect(await coordinatorRuns(scenarioId)).toBe(false);
}, 90_000);

test('a payload of an inactive scenario keeps waiting: reactivation wakes it, not maintenance', async () => {
  server.script('/inactive', { status: 200 });
  const { scenarioId, hookId } = await webhookScenario('/inactive');
  expect(await temporalDown.acceptWebhook(hookId, { n: 1 })).toMatchObject({ status: 'accepted' });
  await imex.store.scenarios.update(imex.orgId, scenarioId, { isActive: false });

  const report = await maintenance();
  expect(report.webhooks?.scenarios.map((s) => s.scenarioId)).not.toContain(scenarioId);
  expect(report.webhooks?.skipped).toBeGreaterThanOrEqual(1);
  expect(await coordinatorRuns(scenarioId)).toBe(false);
  expect(await imex.store.webhooks.queued(scenarioId)).toBe(1);
}, 60_000);
