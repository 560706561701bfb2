/**
 * Make's exponential backoff of the whole scenario (reference §2.5, workflows/scenario-reruns.ts)
 * on the real dev server and wire-protocol server: a scheduled run whose first module fails with a
 * ConnectionError is run again on the scenario's rerun schedule (shortened here) until a rerun
 * succeeds, across a worker restart, without counting towards `maxErrors`; when every rerun fails,
 * the scenario is deactivated; a sequential scenario's reruns go through its coordinator; a DataError
 * is left to maxErrors, and a webhook run's error to the instant-trigger rule (no rerun).
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';
import { waitFor } from '../../src/stack/wait';
import { waitForDeactivation } from '../helpers/scenario-waits';
import { rerunsWorkflowId } from '../../src/domain';
import type { Scenario } from '../../src/store';
import type { ScenarioRerunsResult } from '../../workflows/scenario-reruns';

let env: TestEnv;
let imex: ImexHarness;
let server: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env);
  server = await new ScriptedHttpServer().start();
});

afterAll(async () => {
  if (imex) await terminateOpenWorkflows(env.client, imex.taskQueue);
  await imex?.stop();
  await server?.stop();
  await env?.close();
});

async function scenario(id: number): Promise<Scenario> {
  return (await imex.store.scenarios.get(imex.orgId, id)) as Scenario;
}

/** A scenario whose first module calls `path`, one request per run (no in-run retries). */
async function pollingScenario(path: string, settings: Record<string, unknown>, imexSettings: Record<string, unknown>) {
  return imex.createScenario({
    name: `reruns ${path}`,
    flow: [server.httpModule(1, path)],
    metadata: {
      scenario: {
        ...settings,
        imex: { policy: { ConnectionError: { inRun: { retry: false } } }, ...imexSettings },
      },
    },
  });
}

/** One occurrence of the scenario's schedule, as its Temporal Schedule starts it. */
async function tick(scenarioId: number): Promise<void> {
  await env.client.workflow.execute('scenarioScheduleTick', {
    taskQueue: imex.taskQueue,
    workflowId: env.unique('tick'),
    args: [{ orgId: imex.orgId, scenarioId }],
  });
}

async function seriesResult(scenarioId: number): Promise<ScenarioRerunsResult> {
  const handle = env.client.workflow.getHandle(rerunsWorkflowId(imex.taskQueue, scenarioId));
  await waitFor(
    'the series of reruns to start',
    async () => ((await handle.describe().catch(() => undefined)) ? true : undefined),
    {
      timeoutMs: 30_000,
    },
  );
  return (await handle.result()) as ScenarioRerunsResult;
}

async function runs(scenarioId: number): Promise<string[]> {
  const logs = await imex.store.executions.listByScenario(imex.orgId, scenarioId, { offset: 0, limit: 100 });
  return logs.reverse().map((r) => `${r.trigger}:${r.status}${r.error ? `:${r.error.type}` : ''}`);
}

test("a scheduled run's ConnectionError on its first module reruns the scenario until a rerun succeeds, across a worker restart; maxErrors does not count it", async () => {
  const path = '/reruns-recover';
  server.script(path, { status: 503 }, { status: 503 }, { status: 503 }, { status: 200 });
  // maxErrors 1: were these errors counted, the first would deactivate the scenario.
  const scenarioId = await pollingScenario(path, { maxErrors: 1 }, { rerunSchedule: [300, 3000, 300, 300] });
  await tick(scenarioId);
  // The second delay is long: the worker restarts while the series waits on its timer.
  await waitFor('the first rerun', async () => (server.requestsTo(path).length >= 2 ? true : undefined), {
    timeoutMs: 30_000,
  });
  await imex.restartWorker();

  expect(await seriesResult(scenarioId)).toEqual({ reruns: 3, outcome: 'recovered' });
  expect(server.requestsTo(path)).toHaveLength(4);
  await waitFor('the four runs in the log', async () => ((await runs(scenarioId)).length === 4 ? true : undefined), {
    timeoutMs: 10_000,
  });
  expect(await runs(scenarioId)).toEqual([
    'schedule:error:ConnectionError',
    'schedule:error:ConnectionError',
    'schedule:error:ConnectionError',
    'schedule:success',
  ]);
  expect((await scenario(scenarioId)).isActive).toBe(true);
  expect(await imex.store.runErrors.collection.countDocuments({ scenarioId })).toBe(0);
});

test('when the last rerun fails too the scenario is deactivated, whatever maxErrors says', async () => {
  const path = '/reruns-exhausted';
  server.script(path, { status: 503 });
  const scenarioId = await pollingScenario(path, { maxErrors: 10 }, { rerunSchedule: [300, 300] });
  await tick(scenarioId);

  expect(await seriesResult(scenarioId)).toEqual({ reruns: 2, outcome: 'deactivated' });
  const off = await scenario(scenarioId);
  expect(off.isActive).toBe(false);
  expect(off.deactivationReason).toMatch(
    /^a scheduled run and its 2 reruns ended with an error \(last: ConnectionError: .*; execution [0-9a-f]{32}\)$/,
  );
  expect(await runs(scenarioId)).toEqual(Array(3).fill('schedule:error:ConnectionError'));
  // An occurrence of the inactive scenario starts nothing more.
  await tick(scenarioId);
  expect(server.requestsTo(path)).toHaveLength(3);
});

test("a sequential scenario's rerun goes through its coordinator, which leaves the transient error uncounted", async () => {
  const path = '/reruns-sequential';
  server.script(path, { status: 429 }, { status: 200 });
  const scenarioId = await pollingScenario(
    path,
    { sequential: true, maxErrors: 1 },
    { rerunSchedule: [300], policy: { RateLimitError: { inRun: { retry: false } } } },
  );
  await tick(scenarioId);

  expect(await seriesResult(scenarioId)).toEqual({ reruns: 1, outcome: 'recovered' });
  expect(await runs(scenarioId)).toEqual(['schedule:error:RateLimitError', 'schedule:success']);
  expect((await scenario(scenarioId)).isActive).toBe(true);
  expect((await imex.imex.coordinatorState(scenarioId))?.consecutiveErrors).toBe(0);
});

test('a DataError of a scheduled run is no transient error: no rerun, maxErrors counts it', async () => {
  const path = '/reruns-data-error';
  server.script(path, { status: 400 });
  const scenarioId = await pollingScenario(path, { maxErrors: 1 }, { rerunSchedule: [300] });
  await tick(scenarioId);
  const off = await waitForDeactivation(imex.store, imex.orgId, scenarioId);
  expect(off.deactivationReason).toMatch(/^1 consecutive runs ended with an error \(maxErrors 1; last: DataError/);
  await expect(
    env.client.workflow.getHandle(rerunsWorkflowId(imex.taskQueue, scenarioId)).describe(),
  ).rejects.toThrow();
});

test("a webhook run's ConnectionError is not rerun: an instant-trigger scenario is deactivated on its first error", async () => {
  const path = '/reruns-webhook';
  server.script(path, { status: 503 });
  const scenarioId = await imex.createScenario({
    name: 'reruns webhook',
    flow: [webhookTrigger, server.httpModule(2, path)],
    metadata: {
      scenario: { imex: { rerunSchedule: [300], policy: { ConnectionError: { inRun: { retry: false } } } } },
    },
  });
  const hookId = (await scenario(scenarioId)).hookId as string;
  expect((await imex.imex.acceptWebhook(hookId, { n: 1 })).status).toBe('accepted');
  const off = await waitForDeactivation(imex.store, imex.orgId, scenarioId);
  expect(off.deactivationReason).toMatch(/^a webhook run ended with an error.*first error \(ConnectionError/);
  await expect(
    env.client.workflow.getHandle(rerunsWorkflowId(imex.taskQueue, scenarioId)).describe(),
  ).rejects.toThrow();
  expect(server.requestsTo(path)).toHaveLength(1);
});
