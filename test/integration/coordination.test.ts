/**
 * Per-scenario coordination on the real dev server and wire-protocol server (Make reference
 * §1.3, §1.6, §3.2): sequential processing holds webhook payloads while an incomplete execution
 * is open and runs them in arrival order once it resolves; a worker restart loses no payload; a
 * payload accepted while Temporal was unreachable runs once maintenance delivers it;
 * at most 3 attempts run at once and none starts while a run is in progress; consecutive errors
 * deactivate a scheduled scenario and pause its Temporal Schedule (counted in the store: a
 * scenario that is not sequential has no coordinator, test/integration/direct-runs.test.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from '@temporalio/worker';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { fastInRunRetries, imexWorkflowBundle, startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { waitForDeactivation } from '../helpers/scenario-waits';
import { defaultPolicyTable, mergePolicyTable, scenarioScheduleId } from '../../src/domain';
import { createImexPlugin } from '../../src/temporal/plugin';
import type { Scenario } from '../../src/store';
import { ImexClient } from '../../src/temporal/client';
import { createMaintenanceActivities } from '../../activities/maintenance';
import type { Client } from '@temporalio/client';

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

const sendsN = (path: string) => server.httpModule(2, path, { data: '{"n":{{1.n}}}' });

async function scenario(id: number): Promise<Scenario> {
  return (await imex.store.scenarios.get(imex.orgId, id)) as Scenario;
}

async function hookOf(id: number): Promise<string> {
  const hookId = (await scenario(id)).hookId;
  if (!hookId) throw new Error(`scenario ${id} has no hook`);
  return hookId;
}

async function push(hookId: string, payload: unknown): Promise<void> {
  const result = await imex.imex.acceptWebhook(hookId, payload);
  expect(result.status).toBe('accepted');
}

function bodiesOf(path: string): number[] {
  return server.requestsTo(path).map((r) => (JSON.parse(r.body) as { n: number }).n);
}

test('20 webhook payloads pushed while an IE is open run in arrival order once it is resolved', async () => {
  const path = '/sequential';
  server.script(path, { status: 400 }, { status: 200 });
  const scenarioId = await imex.createScenario({
    name: 'sequential webhook',
    flow: [webhookTrigger, sendsN(path)],
    metadata: { scenario: { dlq: true, sequential: true } },
  });
  const hookId = await hookOf(scenarioId);

  await push(hookId, { n: 0 }); // parks a DataError: the IE waits for a person
  const [ie] = await waitFor(
    'the IE',
    async () => {
      const open = await imex.store.incompleteExecutions.list({
        orgId: imex.orgId,
        scenarioId,
        status: 'unresolved',
        offset: 0,
        limit: 10,
        sortBy: 'created',
        sortDir: 'asc',
      });
      return open.length ? open : undefined;
    },
    { timeoutMs: 30_000 },
  );
  for (let n = 1; n <= 20; n++) await push(hookId, { n });
  const state = await waitFor(
    'the coordinator to wait on the IE',
    async () => {
      const s = await imex.imex.coordinatorState(scenarioId);
      return s?.blocked === 'incomplete-executions' && s.running.length === 0 ? s : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(state.webhookCursor).toBe(1);
  expect(await imex.store.webhooks.queued(scenarioId)).toBe(20);
  expect(bodiesOf(path)).toEqual([0]);

  await imex.imex.requestIncompleteExecution(ie?._id as string, 'retry');
  await waitFor('the 20 queued runs', async () => (server.count(path) >= 22 ? true : undefined), {
    timeoutMs: 90_000,
  });
  // The failed run, its attempt, then the payloads in the order they arrived.
  expect(bodiesOf(path)).toEqual([0, 0, ...Array.from({ length: 20 }, (_, i) => i + 1)]);
  await waitFor(
    'the 20 runs in the scenario log',
    async () => {
      const logs = await imex.store.executions.listByScenario(imex.orgId, scenarioId, { offset: 0, limit: 100 });
      return logs.filter((l) => l.trigger === 'webhook' && l.status === 'success').length === 20 ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(await imex.imex.coordinatorState(scenarioId)).toMatchObject({ blocked: null, webhookCursor: 21 });
});

test('a run on demand right after a blueprint change uses the new blueprint (the coordinator reads it again)', async () => {
  server.script('/before', { status: 200 });
  server.script('/after', { status: 200 });
  const flow = (path: string) => [webhookTrigger, sendsN(path)];
  const scenarioId = await imex.createScenario({ flow: flow('/before') }, 'changes its blueprint');
  const runOnDemand = async (n: number) => {
    const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: { n } });
    expect((await imex.imex.scenarioRunResult(executionId)).status).toBe('success');
  };
  // Two runs: the coordinator now knows the scenario and starts runs on demand without a read.
  await runOnDemand(1);
  await runOnDemand(2);
  const current = await scenario(scenarioId);
  await imex.store.scenarios.update(imex.orgId, scenarioId, {
    blueprint: { ...current.blueprint, flow: flow('/after') as typeof current.blueprint.flow },
  });
  await imex.imex.syncScenarioTriggers(imex.orgId, scenarioId);
  await runOnDemand(3);
  expect(bodiesOf('/before')).toEqual([1, 2]);
  expect(bodiesOf('/after')).toEqual([3]);
});

test('a worker restart while payloads wait loses none', async () => {
  const path = '/restart';
  server.script(path, { status: 200 });
  const scenarioId = await imex.createScenario({
    name: 'restart',
    flow: [webhookTrigger, sendsN(path)],
    metadata: { scenario: { sequential: true } },
  });
  const hookId = await hookOf(scenarioId);
  for (let n = 1; n <= 3; n++) await push(hookId, { n });
  await waitFor('a first run', async () => (server.count(path) >= 1 ? true : undefined), { timeoutMs: 30_000 });

  await imex.worker.shutdown();
  await waitFor('the worker to stop', async () => (imex.worker.getState() === 'STOPPED' ? true : undefined), {
    timeoutMs: 60_000,
  });
  // Accepted without a worker: the payloads are durable in MongoDB, the coordinator is signalled.
  for (let n = 4; n <= 10; n++) await push(hookId, { n });

  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue: imex.taskQueue,
    plugins: [
      createImexPlugin({
        store: imex.store,
        registry: imex.registry,
        client: env.client,
        taskQueue: imex.taskQueue,
        policyTable: mergePolicyTable(defaultPolicyTable, fastInRunRetries),
        workflowBundle: await imexWorkflowBundle(),
      }),
    ],
  });
  const running = worker.run();
  imex.stop = async () => {
    worker.shutdown();
    await running;
  };
  await waitFor('every payload to run', async () => (new Set(bodiesOf(path)).size >= 10 ? true : undefined), {
    timeoutMs: 60_000,
  });
  // At least once each (a module interrupted by the shutdown may be sent again), first time in order.
  const firsts = [...new Set(bodiesOf(path))];
  expect(firsts).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

/** A local server that answers after a delay and records when each request started and ended. */
class TimedServer {
  readonly requests: { path: string; start: number; end: number; status: number }[] = [];
  private server?: http.Server;
  private base = '';
  private readonly scripts = new Map<string, { status: number; delayMs: number }[]>();

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        const queue = this.scripts.get(path) ?? [];
        const answer = (queue.length > 1 ? queue.shift() : queue[0]) ?? { status: 200, delayMs: 0 };
        const start = Date.now();
        setTimeout(() => {
          this.requests.push({ path, start, end: Date.now(), status: answer.status });
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end('{}');
        }, answer.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
    return this;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  script(path: string, ...answers: { status: number; delayMs: number }[]): void {
    this.scripts.set(path, answers);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

test('a payload accepted while Temporal is unreachable runs once maintenance delivers it', async () => {
  const path = '/accepted-in-outage';
  server.script(path, { status: 200 });
  const scenarioId = await imex.createScenario({
    name: 'outage',
    flow: [webhookTrigger, sendsN(path)],
    metadata: { scenario: {} },
  });
  const hookId = await hookOf(scenarioId);
  // An API whose Temporal is down: the payload is durable, the wake-up cannot get through.
  const refused = () => Promise.reject(new Error('14 UNAVAILABLE: connection refused'));
  const unreachable = {
    ...env.client,
    workflow: { signalWithStart: refused, start: refused },
  } as unknown as Client;
  const outageApi = new ImexClient({ client: unreachable, store: imex.store, taskQueue: imex.taskQueue });
  expect((await outageApi.acceptWebhook(hookId, { n: 1 })).status).toBe('accepted');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  outageApi.coordinatorWake.stop();
  expect(server.count(path)).toBe(0);

  // Temporal is back; the API that accepted it may be gone: maintenance wakes the coordinator.
  const maintenance = createMaintenanceActivities({
    store: imex.store,
    client: env.client,
    taskQueue: imex.taskQueue,
    schedule: [60_000],
  });
  const report = await maintenance.wakeWebhookCoordinators({ minAgeMs: 0, afterScenarioId: 0, limit: 100 });
  expect(report.woken.map((w) => w.scenarioId)).toContain(scenarioId);
  await waitFor('the run', async () => (server.count(path) === 1 ? true : undefined), { timeoutMs: 30_000 });
  expect(bodiesOf(path)).toEqual([1]);
});

test('10 IEs due at once never run more than 3 attempts together, and none starts while a run is in progress', async () => {
  const timed = await new TimedServer().start();
  try {
    // The parking run: 10 bundles × 3 in-run tries answered 503; every attempt then takes 600 ms.
    timed.script('/attempt', ...Array.from({ length: 30 }, () => ({ status: 503, delayMs: 0 })), {
      status: 200,
      delayMs: 600,
    });
    timed.script('/slow', { status: 200, delayMs: 4000 });
    const scenarioId = await imex.createScenario({
      name: 'ten IEs',
      flow: [
        webhookTrigger,
        {
          id: 2,
          module: 'http:ActionSendData',
          version: 3,
          parameters: { handleErrors: true },
          mapper: { url: `${timed.url('/')}{{1.path}}`, method: 'get' },
        },
      ],
      metadata: { scenario: { dlq: true, imex: { schedule: [3000, 3000] } } },
    });
    const bundles = Array.from({ length: 10 }, (_, i) => ({ path: 'attempt', i }));
    const parking = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: bundles });
    const parked = await imex.imex.scenarioRunResult(parking.executionId);
    expect(parked.parked).toHaveLength(10);
    // A run in progress when the attempts fall due: they wait for it.
    const slow = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: { path: 'slow' } });

    await waitFor(
      'the 10 IEs to resolve',
      async () => {
        const docs = await Promise.all(parked.parked.map((p) => imex.store.incompleteExecutions.get(p.ieId as string)));
        return docs.every((d) => d?.resolved) ? true : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect((await imex.imex.scenarioRunResult(slow.executionId)).status).toBe('success');

    const attempts = timed.requests.filter((r) => r.path === '/attempt' && r.status === 200);
    expect(attempts).toHaveLength(10);
    const events = attempts.flatMap((a) => [
      { at: a.start, d: 1 },
      { at: a.end, d: -1 },
    ]);
    events.sort((x, y) => x.at - y.at || x.d - y.d);
    let inFlight = 0;
    let most = 0;
    for (const e of events) most = Math.max(most, (inFlight += e.d));
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThanOrEqual(2); // they do run in parallel
    const run = timed.requests.find((r) => r.path === '/slow');
    expect(run).toBeDefined();
    const startedDuringRun = attempts.filter((a) => a.start > (run?.start ?? 0) && a.start < (run?.end ?? 0));
    expect(startedDuringRun).toEqual([]);
  } finally {
    await timed.stop();
  }
});

test('a schedule fires; a success resets the count; 3 consecutive errors deactivate the scenario and pause its schedule', async () => {
  const path = '/scheduled';
  server.script(path, { status: 400 }, { status: 400 }, { status: 200 }, { status: 400 });
  const scenarioId = await imex.createScenario({
    name: 'scheduled',
    flow: [webhookTrigger, server.httpModule(2, path)],
    metadata: { scenario: {} },
  });
  await imex.store.scenarios.update(imex.orgId, scenarioId, { scheduling: { type: 'indefinitely', interval: 1 } });
  await imex.imex.syncScenarioTriggers(imex.orgId, scenarioId);
  const schedule = env.client.schedule.getHandle(scenarioScheduleId(imex.taskQueue, scenarioId));
  try {
    const off = await waitForDeactivation(imex.store, imex.orgId, scenarioId, 60_000);
    expect(off.deactivationReason).toMatch(/^3 consecutive runs ended with an error \(maxErrors 3; last: DataError/);
    // Not sequential: its occurrences ran directly and were counted in the store, without a coordinator.
    expect(await imex.imex.coordinatorState(scenarioId)).toBeNull();
    const runs = await imex.store.executions.listByScenario(imex.orgId, scenarioId, { offset: 0, limit: 100 });
    const ordered = runs.reverse().map((r) => `${r.trigger}:${r.status}`);
    // error, error, success (resets), error, error, error → deactivated
    expect(ordered.slice(0, 6)).toEqual([
      'schedule:error',
      'schedule:error',
      'schedule:success',
      'schedule:error',
      'schedule:error',
      'schedule:error',
    ]);
    await waitFor(
      'the schedule to be paused',
      async () => ((await schedule.describe()).state.paused ? true : undefined),
      {
        timeoutMs: 10_000,
      },
    );
    expect((await schedule.describe()).state.note).toMatch(/deactivated/);

    // Reactivation unpauses it and clears the count.
    await imex.store.scenarios.update(imex.orgId, scenarioId, { isActive: true });
    await imex.imex.syncScenarioTriggers(imex.orgId, scenarioId);
    expect((await schedule.describe()).state.paused).toBe(false);
    expect((await scenario(scenarioId)).deactivationReason).toBeUndefined();
  } finally {
    await imex.store.scenarios.update(imex.orgId, scenarioId, { scheduling: { type: 'on-demand' } });
    await imex.imex.syncScenarioTriggers(imex.orgId, scenarioId);
  }
  await expect(schedule.describe()).rejects.toThrow();
});

test("a sequential scenario's scheduled run ending with a deactivating category (InvalidAccessTokenError) deactivates it at once through its coordinator; a DataError only counts", async () => {
  const path = '/coordinated-at-once';
  server.script(path, { status: 400 }, { status: 401 });
  const scenarioId = await imex.createScenario({
    name: 'coordinated at once',
    flow: [webhookTrigger, server.httpModule(2, path)],
    metadata: { scenario: { sequential: true, maxErrors: 3 } },
  });
  const tick = () =>
    env.client.workflow.execute('scenarioScheduleTick', {
      taskQueue: imex.taskQueue,
      workflowId: env.unique('tick'),
      args: [{ orgId: imex.orgId, scenarioId }],
    });
  const settled = (errors: number) =>
    waitFor(
      `the coordinator to count ${errors} error(s)`,
      async () => {
        const state = await imex.imex.coordinatorState(scenarioId);
        return state && state.running.length === 0 && state.started >= errors && state.consecutiveErrors === errors
          ? state
          : undefined;
      },
      { timeoutMs: 30_000 },
    );

  await tick();
  await settled(1);
  expect((await scenario(scenarioId)).isActive).toBe(true); // a DataError counts: 1 of 3

  await tick();
  const off = await waitForDeactivation(imex.store, imex.orgId, scenarioId);
  expect(off.deactivationReason).toMatch(
    /^a run ended with InvalidAccessTokenError, which deactivates a scenario at once \(InvalidAccessTokenError: .*; execution [0-9a-f]{32}\)$/,
  );
  // The coordinator did it: the store's count of runs without one is empty.
  expect(await imex.store.runErrors.collection.countDocuments({ scenarioId })).toBe(0);
  // The store is written by the coordinator's activity; its own view follows in its next workflow task.
  await waitFor(
    'the coordinator to say the scenario is inactive',
    async () => ((await imex.imex.coordinatorState(scenarioId))?.blocked === 'inactive' ? true : undefined),
    { timeoutMs: 30_000 },
  );
  const runs = await imex.store.executions.listByScenario(imex.orgId, scenarioId, { offset: 0, limit: 10 });
  expect(runs.reverse().map((r) => `${r.trigger}:${r.status}:${r.error?.type}`)).toEqual([
    'schedule:error:DataError',
    'schedule:error:InvalidAccessTokenError',
  ]);
});
