/**
 * Webhook and scheduled runs of a scenario that is not sequential start directly, without the
 * scenario's coordinator (src/temporal/webhook-dispatch.ts, direct-runs.ts), on the real dev
 * server and wire-protocol server: every payload runs once, at most `maxConcurrentRuns` at a time,
 * and no coordinator workflow exists afterwards; a webhook run's first error deactivates the
 * scenario and payloads left waiting run once it is active again; consecutive errors are counted
 * in the store once per execution, however often a run's end is retried; a payload whose run was
 * started before a crash is not run twice; no attempt starts while a direct webhook run is in
 * progress.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer, type RecordedRequest } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';
import { waitFor } from '../../src/stack/wait';
import { waitForDeactivation } from '../helpers/scenario-waits';
import { coordinatorWorkflowId } from '../../src/domain';
import type { Scenario } from '../../src/store';
import { startDirectRun } from '../../src/temporal/direct-runs';
import { createWebhookDispatch } from '../../src/temporal/webhook-dispatch';
import { createConsecutiveErrors, type RunOutcomeInput } from '../../activities/consecutive-errors';

const BOUND = 3;

let env: TestEnv;
let imex: ImexHarness;
let server: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { maxConcurrentRuns: BOUND });
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

async function webhookScenario(path: string, settings: Record<string, unknown> = {}) {
  const scenarioId = await imex.createScenario({
    name: `direct ${path}`,
    flow: [webhookTrigger, server.httpModule(2, path, { data: '{"n":{{1.n}}}' })],
    metadata: { scenario: settings },
  });
  return { scenarioId, hookId: (await scenario(scenarioId)).hookId as string };
}

async function coordinatorExists(scenarioId: number): Promise<boolean> {
  try {
    await env.client.workflow.getHandle(coordinatorWorkflowId(imex.taskQueue, scenarioId)).describe();
    return true;
  } catch {
    return false;
  }
}

/** The most requests that were being answered at the same moment. */
function mostAtOnce(requests: RecordedRequest[]): number {
  const events = requests.flatMap((r) => [
    { at: r.receivedAt, d: 1 },
    { at: r.answeredAt ?? Number.POSITIVE_INFINITY, d: -1 },
  ]);
  events.sort((x, y) => x.at - y.at || x.d - y.d);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.d));
  return most;
}

const bodies = (path: string) => server.requestsTo(path).map((r) => (JSON.parse(r.body) as { n: number }).n);

test('12 webhook payloads run directly, each once, at most maxConcurrentRuns at a time, and no coordinator exists', async () => {
  const path = '/direct-burst';
  server.script(path, { status: 200, delayMs: 300 });
  const { scenarioId, hookId } = await webhookScenario(path);
  const accepted = await Promise.all(Array.from({ length: 12 }, (_, n) => imex.imex.acceptWebhook(hookId, { n })));
  expect(accepted.map((a) => a.status)).toEqual(Array(12).fill('accepted'));

  await waitFor(
    'the 12 runs in the scenario log',
    async () => {
      const logs = await imex.store.executions.listByScenario(imex.orgId, scenarioId, { offset: 0, limit: 100 });
      return logs.filter((l) => l.trigger === 'webhook' && l.status === 'success').length === 12 ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(bodies(path).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, n) => n));
  const most = mostAtOnce(server.requestsTo(path));
  expect(most).toBeLessThanOrEqual(BOUND);
  expect(most).toBeGreaterThanOrEqual(2); // they do run in parallel
  expect(await coordinatorExists(scenarioId)).toBe(false);
  expect(await imex.store.webhooks.queued(scenarioId)).toBe(0);
  expect((await imex.store.webhooks.cursors.findOne({ _id: scenarioId }))?.consumedThrough).toBe(12);
  await waitFor(
    'every run lease to be given back',
    async () => ((await imex.store.leases.list(scenarioId, 'run')).length === 0 ? true : undefined),
    { timeoutMs: 10_000 },
  );
});

test("a webhook run's first error deactivates the scenario; a payload left waiting runs once it is active again", async () => {
  const path = '/direct-fails';
  server.script(path, { status: 400 }, { status: 200 });
  const { scenarioId, hookId } = await webhookScenario(path);
  expect((await imex.imex.acceptWebhook(hookId, { n: 1 })).status).toBe('accepted');
  const off = await waitForDeactivation(imex.store, imex.orgId, scenarioId);
  expect(off.deactivationReason).toMatch(/^a webhook run ended with an error.*first error \(DataError/);
  expect(await imex.imex.acceptWebhook(hookId, { n: 2 })).toMatchObject({ status: 'inactive' });
  // Cleared after the deactivation is written (and the schedule paused): a moment later.
  await waitFor(
    'the counted errors to be cleared',
    async () => ((await imex.store.runErrors.collection.countDocuments({ scenarioId })) === 0 ? true : undefined),
    { timeoutMs: 10_000 },
  );

  // A payload accepted just before the deactivation waits, through any delivery, until reactivation.
  await imex.store.webhooks.enqueue({ orgId: imex.orgId, scenarioId, cap: 100, data: '{"n":3}' });
  const dispatch = createWebhookDispatch({ store: imex.store, client: env.client, taskQueue: imex.taskQueue });
  expect(await dispatch.deliverWebhooks({ orgId: imex.orgId, scenarioId })).toEqual({ started: 0, via: 'inactive' });
  expect(await imex.store.webhooks.queued(scenarioId)).toBe(1);
  await imex.store.scenarios.update(imex.orgId, scenarioId, { isActive: true });
  await imex.imex.syncScenarioTriggers(imex.orgId, scenarioId);
  await waitFor('the waiting payload to run', async () => (server.count(path) === 2 ? true : undefined), {
    timeoutMs: 30_000,
  });
  expect(bodies(path)).toEqual([1, 3]);
  expect(await coordinatorExists(scenarioId)).toBe(false);
});

test('consecutive errors count once per execution however often a run end is retried; a success resets them', async () => {
  const { scenarioId } = await webhookScenario('/never-called', { maxErrors: 3 });
  const activation = (await scenario(scenarioId)).activatedAt?.toISOString() ?? null;
  const { countRunOutcome } = createConsecutiveErrors({
    store: imex.store,
    client: env.client,
    taskQueue: imex.taskQueue,
  });
  let clock = Date.now();
  const end = (executionId: string, status: RunOutcomeInput['status'] = 'error', at = ++clock): RunOutcomeInput => ({
    orgId: imex.orgId,
    scenarioId,
    executionId: executionId.padEnd(32, '0'),
    trigger: 'schedule',
    activation,
    status,
    endedAt: new Date(at).toISOString(),
    ...(status === 'error' ? { error: { type: 'DataError', message: `boom ${executionId}` } } : {}),
  });
  const errorsStored = () => imex.store.runErrors.collection.countDocuments({ scenarioId });

  // Each end twice: a retried (or replayed) activity.
  const a = end('a');
  const b = end('b');
  for (const outcome of [a, a, b, b]) expect(await countRunOutcome(outcome)).toEqual({ deactivated: false });
  expect(await errorsStored()).toBe(2);
  await countRunOutcome(end('c', 'warning')); // a warning resets, as a success does
  expect(await errorsStored()).toBe(0);

  const d = end('d');
  const e = end('e');
  for (const outcome of [d, e, d, e, d]) expect(await countRunOutcome(outcome)).toEqual({ deactivated: false });
  // A run that started in an earlier activation does not count in this one.
  expect(await countRunOutcome({ ...end('f'), activation: '2000-01-01T00:00:00.000Z' })).toEqual({
    deactivated: false,
  });
  expect(await errorsStored()).toBe(2);
  expect((await scenario(scenarioId)).isActive).toBe(true);

  const g = end('g');
  expect(await countRunOutcome(g)).toEqual({ deactivated: true });
  const off = await scenario(scenarioId);
  expect(off.isActive).toBe(false);
  expect(off.deactivationReason).toBe(
    `3 consecutive runs ended with an error (maxErrors 3; last: DataError: boom g; execution ${g.executionId})`,
  );
  expect(await errorsStored()).toBe(0);
  // The same end once more (its activity retried after the deactivation): nothing changes.
  expect(await countRunOutcome(g)).toEqual({ deactivated: false });
  expect((await scenario(scenarioId)).deactivationReason).toBe(off.deactivationReason);
});

test('an automatic run ending with a deactivating category (InvalidAccessTokenError) deactivates at once; a DataError only counts', async () => {
  const { scenarioId } = await webhookScenario('/never-called-either', { maxErrors: 3 });
  const activation = (await scenario(scenarioId)).activatedAt?.toISOString() ?? null;
  const { countRunOutcome } = createConsecutiveErrors({
    store: imex.store,
    client: env.client,
    taskQueue: imex.taskQueue,
  });
  const end = (id: string, type: string): RunOutcomeInput => ({
    orgId: imex.orgId,
    scenarioId,
    executionId: id.padEnd(32, '0'),
    trigger: 'schedule',
    activation,
    status: 'error',
    endedAt: new Date().toISOString(),
    error: { type, message: `${type} of ${id}` },
  });
  expect(await countRunOutcome(end('a', 'DataError'))).toEqual({ deactivated: false });
  expect((await scenario(scenarioId)).isActive).toBe(true);
  const token = end('b', 'InvalidAccessTokenError');
  expect(await countRunOutcome(token)).toEqual({ deactivated: true });
  const off = await scenario(scenarioId);
  expect(off.isActive).toBe(false);
  expect(off.deactivationReason).toBe(
    `a run ended with InvalidAccessTokenError, which deactivates a scenario at once (InvalidAccessTokenError: InvalidAccessTokenError of b; execution ${token.executionId})`,
  );
  expect(await imex.store.runErrors.collection.countDocuments({ scenarioId })).toBe(0);
});

test('a payload whose run was started before a crash (its entry not yet marked) is delivered again without a second run', async () => {
  const path = '/crash-between';
  server.script(path, { status: 200 });
  const { scenarioId } = await webhookScenario(path);
  // Queued without a delivery; then a dispatcher started its run and crashed before marking it.
  const queued = await imex.store.webhooks.enqueue({ orgId: imex.orgId, scenarioId, cap: 100, data: '{"n":7}' });
  if (!queued.accepted) throw new Error('not queued');
  const current = await scenario(scenarioId);
  const first = await startDirectRun(env.client, imex.taskQueue, {
    orgId: imex.orgId,
    scenario: current,
    executionId: queued.executionId,
    trigger: 'webhook',
    data: { n: 7 },
  });
  expect(first).toBe('started');
  expect(await imex.store.webhooks.queued(scenarioId)).toBe(1);

  const dispatch = createWebhookDispatch({ store: imex.store, client: env.client, taskQueue: imex.taskQueue });
  expect(await dispatch.deliverWebhooks({ orgId: imex.orgId, scenarioId })).toEqual({ started: 0, via: 'direct' });
  expect(await imex.store.webhooks.queued(scenarioId)).toBe(0);
  expect((await imex.imex.scenarioRunResult(queued.executionId)).status).toBe('success');
  // Delivered again (maintenance, a late retry): still one run.
  await dispatch.deliverWebhooks({ orgId: imex.orgId, scenarioId });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(bodies(path)).toEqual([7]);
  await waitFor(
    'the run lease to be given back',
    async () => ((await imex.store.leases.list(scenarioId, 'run')).length === 0 ? true : undefined),
    { timeoutMs: 10_000 },
  );
});

test('no attempt starts while a direct webhook run is in progress', async () => {
  server.script(
    '/due-attempt',
    ...Array.from({ length: 3 }, () => ({ status: 503 })), // the parking run's in-run tries
    { status: 200, delayMs: 200 },
  );
  server.script('/slow-webhook', { status: 200, delayMs: 3000 });
  const scenarioId = await imex.createScenario({
    name: 'attempt vs direct webhook run',
    flow: [webhookTrigger, server.httpModule(2, '/', { url: `${server.url('/')}{{1.path}}` })],
    // The IE's attempt falls due 1 s after it is parked, in the middle of the webhook run.
    metadata: { scenario: { dlq: true, imex: { schedule: [1000, 1000] } } },
  });
  const hookId = (await scenario(scenarioId)).hookId as string;
  const parking = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: { path: 'due-attempt' } });
  const parked = await imex.imex.scenarioRunResult(parking.executionId);
  expect(parked.parked).toHaveLength(1);
  expect((await imex.imex.acceptWebhook(hookId, { path: 'slow-webhook' })).status).toBe('accepted');

  const ieId = parked.parked[0]?.ieId as string;
  await waitFor(
    'the IE to resolve',
    async () => ((await imex.store.incompleteExecutions.get(ieId))?.resolved ? true : undefined),
    { timeoutMs: 60_000 },
  );
  const [run] = server.requestsTo('/slow-webhook');
  const attempt = server.requestsTo('/due-attempt').find((r) => r.status === 200);
  expect(run?.answeredAt).toBeDefined();
  expect(attempt).toBeDefined();
  const overlaps =
    (attempt?.receivedAt ?? 0) < (run?.answeredAt ?? 0) && (run?.receivedAt ?? 0) < (attempt?.answeredAt ?? 0);
  expect(overlaps).toBe(false);
  // It was due while the run went on, so it waited for the run's end.
  expect(attempt?.receivedAt).toBeGreaterThanOrEqual(run?.answeredAt ?? 0);
  expect(await coordinatorExists(scenarioId)).toBe(false);
});
