/**
 * Attempt slots and runs in progress held in the store (activities/scenario-leases.ts): claims are
 * race-free on the wire-protocol server, and runs on demand, which start without the coordinator,
 * never overlap an attempt of their scenario's IEs, also across a worker restart.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer, type RecordedRequest } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { coordinatorWorkflowId, ieWorkflowId, MAX_PARALLEL_ATTEMPTS } from '../../src/domain';
import { createScenarioLeaseActivities, LEASE_CHECK_MS } from '../../activities/scenario-leases';

let env: TestEnv;
let imex: ImexHarness;
let server: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env);
  server = await new ScriptedHttpServer().start();
});

afterAll(async () => {
  await imex?.stop();
  await server?.stop();
  await env?.close();
});

test('20 attempts claiming slots at once: exactly 3 win, and none while a run is registered', async () => {
  const leases = imex.store.leases;
  const scenarioId = 900_001;
  const claims = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      leases.takeAttemptSlot(scenarioId, `ie${i}`, `req${i}`, MAX_PARALLEL_ATTEMPTS),
    ),
  );
  expect(claims.filter((c) => c !== null).sort()).toEqual([0, 1, 2]);
  // A retried claim answers the slot it holds, not a second one.
  const winner = claims.findIndex((c) => c !== null);
  expect(await leases.takeAttemptSlot(scenarioId, `ie${winner}`, `req${winner}`, MAX_PARALLEL_ATTEMPTS)).toBe(
    claims[winner],
  );

  // Through the activity: a run registered first keeps every attempt out.
  const activities = createScenarioLeaseActivities({
    store: imex.store,
    client: env.client,
    taskQueue: imex.taskQueue,
  });
  const other = 900_002;
  const run = { orgId: imex.orgId, scenarioId: other, executionId: 'run1' };
  expect(await activities.registerRun(run)).toEqual({ attemptsHolding: 0 });
  const attempt = { orgId: imex.orgId, scenarioId: other, ieId: 'ieA', requestId: 'attA' };
  expect(await activities.takeAttemptSlot(attempt)).toEqual({ granted: false });
  expect((await leases.list(other, 'wait')).map((w) => w.ieId)).toEqual(['ieA']);
  await activities.unregisterRun(run);
  expect(await activities.takeAttemptSlot(attempt)).toEqual({ granted: true });
  expect(await leases.list(other, 'wait')).toEqual([]);
  // An attempt granted first: a run that registers now is told to wait for it.
  expect(await activities.registerRun(run)).toEqual({ attemptsHolding: 1 });
  await activities.releaseStoredAttemptSlot(attempt);
  expect(await activities.registerRun(run)).toEqual({ attemptsHolding: 0 });
  await activities.unregisterRun(run);

  // Leases whose holders are gone (a run terminated before it unregistered, an IE workflow reset
  // while holding a slot) block nothing once they are old enough to be checked in Temporal.
  const stale = 900_003;
  const old = new Date(Date.now() - 2 * LEASE_CHECK_MS);
  await leases.collection.insertMany([
    { _id: `run:${stale}:gone`, kind: 'run', scenarioId: stale, requestId: 'gone', since: old },
    ...[0, 1, 2].map((n) => ({
      _id: `attempt:${stale}:${n}`,
      kind: 'attempt' as const,
      scenarioId: stale,
      ieId: `gone${n}`,
      requestId: `gone${n}`,
      since: old,
    })),
  ]);
  const fresh = { orgId: imex.orgId, scenarioId: stale, ieId: 'ieF', requestId: 'attF' };
  expect(await activities.takeAttemptSlot(fresh)).toEqual({ granted: true });
  expect((await leases.list(stale, 'attempt')).map((l) => l.ieId)).toEqual(['ieF']);
  expect(await leases.list(stale, 'run')).toEqual([]);
});

/** Whether two answered requests were in flight at the same time. */
function overlaps(a: RecordedRequest, b: RecordedRequest): boolean {
  return a.receivedAt < (b.answeredAt ?? Infinity) && b.receivedAt < (a.answeredAt ?? Infinity);
}

test('runs on demand start without the coordinator and never overlap due attempts, across a worker restart', async () => {
  const ies = 6;
  // The parking run: every try answered 503 (however many in-run tries there are); then attempts take 500 ms.
  server.script('/lease/attempt', { status: 503 });
  server.script('/lease/run', { status: 200, delayMs: 700 });
  const scenarioId = await imex.createScenario({
    name: 'runs and attempts',
    flow: [
      webhookTrigger,
      {
        id: 2,
        module: 'http:ActionSendData',
        version: 3,
        parameters: { handleErrors: true },
        mapper: { url: `${server.url('/lease/')}{{1.kind}}`, method: 'get' },
      },
    ],
    metadata: { scenario: { dlq: true, imex: { schedule: [1500, 1500, 1500] } } },
  });
  const parking = await imex.imex.startScenarioRun({
    orgId: imex.orgId,
    scenarioId,
    data: Array.from({ length: ies }, (_, i) => ({ kind: 'attempt', i })),
  });
  const parked = await imex.imex.scenarioRunResult(parking.executionId);
  expect(parked.parked).toHaveLength(ies);
  // The first attempts fall due 1.5 s after parking.
  server.script('/lease/attempt', { status: 200, delayMs: 500 });

  // Bursts of runs on demand while the attempts fall due, with a worker restart in the middle.
  const runs: string[] = [];
  for (let burst = 0; burst < 6; burst++) {
    if (burst === 3) await imex.restartWorker();
    for (let i = 0; i < 2; i++) {
      runs.push(
        (await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: { kind: 'run' } })).executionId,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1200));
  }
  for (const executionId of runs) expect((await imex.imex.scenarioRunResult(executionId)).status).toBe('success');
  await waitFor(
    'the IEs to resolve',
    async () => {
      const docs = await Promise.all(parked.parked.map((p) => imex.store.incompleteExecutions.get(p.ieId as string)));
      return docs.every((d) => d?.resolved) ? true : undefined;
    },
    { timeoutMs: 90_000 },
  );

  // No coordinator was needed: none was started for the scenario.
  await expect(
    env.client.workflow.getHandle(coordinatorWorkflowId(imex.taskQueue, scenarioId)).describe(),
  ).rejects.toThrow();
  const attempts = server.requestsTo('/lease/attempt').filter((r) => r.status === 200);
  const runRequests = server.requestsTo('/lease/run');
  expect(attempts.length).toBeGreaterThanOrEqual(ies);
  expect(runRequests.length).toBeGreaterThanOrEqual(runs.length);
  const clashes = attempts.flatMap((a) => runRequests.filter((r) => overlaps(a, r)).map((r) => [a, r]));
  expect(clashes).toEqual([]);
  // At most 3 attempts in flight at once.
  for (const a of attempts) expect(attempts.filter((b) => overlaps(a, b)).length).toBeLessThanOrEqual(3);
  // Every lease given back (an attempt gives its slot back just after its IE resolves).
  await waitFor(
    'every lease given back',
    async () => {
      const held = await Promise.all(
        ['attempt', 'run', 'wait'].map((k) => imex.store.leases.list(scenarioId, k as never)),
      );
      return held.every((l) => l.length === 0) ? true : undefined;
    },
    { timeoutMs: 10_000 },
  );
});

test('each freed slot wakes a waiter not woken moments ago, and no wake-up is lost to a race', async () => {
  const leases = imex.store.leases;
  const activities = createScenarioLeaseActivities({
    store: imex.store,
    client: env.client,
    taskQueue: imex.taskQueue,
  });
  const scenarioId = 900_010;
  // The waiting IEs' workflows exist, on a task queue nobody polls: signals to them are accepted.
  const idleQueue = env.unique('idle');
  const attempt = (n: number) => ({ orgId: imex.orgId, scenarioId, ieId: `${idleQueue}-${n}`, requestId: `req${n}` });
  for (let n = 0; n < 7; n++) {
    await env.client.workflow.start('nobodyRunsThis', {
      taskQueue: idleQueue,
      workflowId: ieWorkflowId(attempt(n).ieId),
    });
  }
  const woken = async () =>
    (await leases.list(scenarioId, 'wait')).filter((w) => (w.wokenAt?.getTime() ?? 0) > 0).map((w) => w.ieId);

  for (const n of [0, 1, 2]) expect(await activities.takeAttemptSlot(attempt(n))).toEqual({ granted: true });
  for (const n of [3, 4]) expect(await activities.takeAttemptSlot(attempt(n))).toEqual({ granted: false });
  await activities.releaseStoredAttemptSlot(attempt(0));
  expect(await woken()).toEqual([attempt(3).ieId]);
  // A second slot frees before the first waiter has asked: the next waiter is woken, not it again.
  await activities.releaseStoredAttemptSlot(attempt(1));
  expect((await woken()).sort()).toEqual([attempt(3).ieId, attempt(4).ieId].sort());
  for (const n of [3, 4]) expect(await activities.takeAttemptSlot(attempt(n))).toEqual({ granted: true });
  expect(await leases.list(scenarioId, 'wait')).toEqual([]);

  // A slot frees while a refused attempt records its wait (its releaser saw no wait to wake):
  // the attempt's last look takes it.
  const recordWait = leases.recordWait.bind(leases);
  leases.recordWait = async (...args) => {
    await activities.releaseStoredAttemptSlot(attempt(2));
    return recordWait(...args);
  };
  try {
    expect(await activities.takeAttemptSlot(attempt(5))).toEqual({ granted: true });
  } finally {
    leases.recordWait = recordWait;
  }

  // An attempt that took a slot just as a run registered gives the slot back, and its recorded
  // wait stays for the run's end to wake.
  for (const n of [3, 4, 5]) await activities.releaseStoredAttemptSlot(attempt(n));
  const run = { orgId: imex.orgId, scenarioId, executionId: 'run-races' };
  const takeSlot = leases.takeAttemptSlot.bind(leases);
  let takes = 0;
  leases.takeAttemptSlot = async (...args) => {
    const slot = await takeSlot(...args);
    if (++takes === 2) await activities.registerRun(run);
    return slot;
  };
  try {
    // First look: all 3 slots are held (by a stand-in); the last look takes one as the run registers.
    await leases.collection.insertMany(
      [0, 1, 2].map((n) => ({
        _id: `attempt:${scenarioId}:${n}`,
        kind: 'attempt' as const,
        scenarioId,
        ieId: 'stand-in',
        requestId: `stand-in-${n}`,
        since: new Date(),
      })),
    );
    leases.recordWait = async (...args) => {
      await recordWait(...args);
      await leases.giveBackSlot(scenarioId, 'stand-in-0');
    };
    expect(await activities.takeAttemptSlot(attempt(6))).toEqual({ granted: false });
  } finally {
    leases.takeAttemptSlot = takeSlot;
    leases.recordWait = recordWait;
  }
  expect((await leases.list(scenarioId, 'attempt')).map((l) => l.requestId).sort()).toEqual([
    'stand-in-1',
    'stand-in-2',
  ]);
  expect((await leases.list(scenarioId, 'wait')).map((w) => w.ieId)).toEqual([attempt(6).ieId]);
  await activities.unregisterRun(run);
  expect(await woken()).toEqual([attempt(6).ieId]);
});
