/**
 * The incompleteExecution workflow's own guarantees: Make's default schedule as timers in the
 * history, messages from the Temporal CLI, bounded history, and idempotent parking.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { waitFor } from '../../src/stack/wait';
import { blueprintSchema, ieWorkflowId, makeRetrySchedule, type IncompleteExecutionInput } from '../../src/domain';
import { createActivities } from '../../activities';
import { loadConfig } from '../../src/config';
import { imexPaths, findOnPath } from '../../src/stack/paths';
import { cachedGoBinary } from '../../src/stack/go-build';
import { temporalCliBuild } from '../../src/stack/temporal-dev-server';
import type { IncompleteExecutionDocument } from '../../src/store';
import { webhookTrigger } from '../helpers/blueprints';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  // Make's own schedule: 1 min, 10 min, 10 min, 30 min, …
  imex = await startImexHarness(env, { schedule: makeRetrySchedule });
  http = await new ScriptedHttpServer().start();
  http.script('/down', { status: 503 });
});

afterAll(async () => {
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

const blueprint = (path = '/down') =>
  blueprintSchema.parse({
    name: 'ie workflow',
    flow: [webhookTrigger, http.httpModule(2, path, { method: 'get' })],
    metadata: { scenario: { dlq: true } },
  });

async function parkOne(path = '/down'): Promise<string> {
  const scenario = await imex.store.scenarios.create({
    orgId: imex.orgId,
    name: 'ie workflow',
    blueprint: blueprint(path),
  });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId: scenario.id });
  const result = await imex.imex.scenarioRunResult(executionId);
  return result.parked[0]?.ieId as string;
}

async function doc(ieId: string) {
  return (await imex.store.incompleteExecutions.get(ieId)) as IncompleteExecutionDocument;
}

async function timerDelaysSeconds(ieId: string): Promise<number[]> {
  const history = await env.client.workflow.getHandle(ieWorkflowId(ieId)).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.timerStartedEventAttributes?.startToFireTimeout?.seconds)
    .filter((s) => s !== undefined && s !== null)
    .map(Number);
}

test("each auto-retry timer starts with Make's delay for its step: 60 s, 600 s, 600 s, 1800 s", async () => {
  const ieId = await parkOne();
  await waitFor('the first timer', async () => ((await timerDelaysSeconds(ieId)).length === 1 ? true : undefined), {
    timeoutMs: 20_000,
  });
  const first = await doc(ieId);
  expect(first.status).toBe('pending');
  expect(first.nextRetryAt!.getTime() - Date.now()).toBeGreaterThan(50_000);

  // Every attempt, manual too, counts and moves the schedule one step; the service stays down.
  // Each retry is sent once the step's timer has started, so every step shows its timer.
  const timers = (count: number) =>
    waitFor(`timer ${count}`, async () => ((await timerDelaysSeconds(ieId)).length === count ? true : undefined), {
      timeoutMs: 30_000,
    });
  for (let attempt = 1; attempt <= 3; attempt++) {
    await timers(attempt);
    await imex.imex.requestIncompleteExecution(ieId, 'retry');
    await waitFor(
      `attempt ${attempt} to fail`,
      async () => {
        const d = await doc(ieId);
        return d.attempts === attempt && d.status === 'pending' ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );
  }
  await timers(4);
  expect(await timerDelaysSeconds(ieId)).toEqual([60, 600, 600, 1800]);
  const state = await imex.imex.incompleteExecutionState(ieId);
  expect(state).toMatchObject({ attempts: 3, status: 'pending', retry: true });
  expect(Date.parse(state!.nextRetryAt!) - Date.now()).toBeGreaterThan(1_700_000);
});

test('a retry sent with the temporal CLI starts an attempt', async () => {
  const ieId = await parkOne();
  const config = loadConfig();
  const temporal =
    findOnPath('temporal') ?? cachedGoBinary(temporalCliBuild, { binDir: imexPaths(config.IMEX_HOME).bin });
  expect(temporal).toBeDefined();
  await promisify(execFile)(temporal as string, [
    'workflow',
    'signal',
    '--address',
    env.temporalAddress,
    '--namespace',
    env.namespace,
    '--workflow-id',
    ieWorkflowId(ieId),
    '--name',
    'retry',
    '--input',
    '{"requestId":"from-the-cli"}',
  ]);
  const after = await waitFor(
    'the CLI retry to run an attempt',
    async () => {
      const d = await doc(ieId);
      return d.attempts === 1 && d.status === 'pending' ? d : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(after.error.type).toBe('ConnectionError');
});

test('the Web UI describes the internal signals as internal, shows the error as typed, and counts attempts only on auto-retry', async () => {
  interface Metadata {
    definition: { signalDefinitions: { name: string; description?: string }[] };
    currentDetails: string;
  }
  const metadata = (ieId: string) =>
    env.client.workflow.getHandle(ieWorkflowId(ieId)).query<Metadata>('__temporal_workflow_metadata');

  const autoRetry = await parkOne();
  const signals = new Map(
    (await metadata(autoRetry)).definition.signalDefinitions.map((d) => [d.name, d.description ?? '']),
  );
  expect([...signals.keys()].sort()).toEqual(
    ['attemptSlotAskAgain', 'attemptSlotGranted', 'delete', 'patch', 'resolve', 'retry'].sort(),
  );
  expect(signals.get('attemptSlotGranted')).toMatch(/^INTERNAL, do not send/);
  expect(signals.get('attemptSlotAskAgain')).toMatch(/^INTERNAL, do not send/);
  expect(signals.get('retry')).toMatch(/^Start an attempt now/);
  // The details are published once the workflow has scheduled the first auto-retry.
  const scheduled = /^\*\*pending\*\* · attempts 0 of 8 \(auto-retry\) · next auto-retry at /;
  await waitFor(
    'the first auto-retry in the details',
    async () => (scheduled.test((await metadata(autoRetry)).currentDetails) ? true : undefined),
    { timeoutMs: 30_000 },
  );

  // A DataError waits for a person: no "0 of 8"; the service's JSON is in a code block, as typed.
  const body = '{"error":"*not* [found]","path":"a_b_c"}';
  http.script('/typed', { status: 400, body });
  const manual = await parkOne('/typed');
  const details = (await metadata(manual)).currentDetails;
  expect(details).toMatch(/^\*\*unresolved\*\* · attempts 0 · no auto-retry: waits for a person/);
  expect(details).not.toContain(' of 8');
  const fenced = /\n```text\n([^]*)\n```$/.exec(details)?.[1];
  expect(fenced).toContain(body);
  expect(fenced).toBe((await doc(manual)).error.message);
});

test('history stays bounded: many messages make it continue as new, keeping its state and request ids', async () => {
  const ieId = await parkOne();
  const handle = env.client.workflow.getHandle(ieWorkflowId(ieId));
  const firstRunId = (await handle.describe()).runId;
  // A long-running IE receiving messages: rejected patches (no such module) add events.
  for (let i = 0; i < 45; i++)
    await imex.imex.signalIncompleteExecution(ieId, 'patch', { requestId: `p-${i}`, failer: 99 });
  // The default limit is 2,000 events; restart this IE's workflow with a small one to see it happen.
  const state = await imex.imex.incompleteExecutionState(ieId);
  await handle.terminate('restarted by the test with a small history limit');
  const input: IncompleteExecutionInput = { state: state!, schedule: [...makeRetrySchedule], historyLimit: 40 };
  await env.client.workflow.start('incompleteExecution', {
    taskQueue: imex.taskQueue,
    workflowId: ieWorkflowId(ieId),
    args: [input],
  });
  for (let i = 0; i < 30; i++)
    await imex.imex.signalIncompleteExecution(ieId, 'patch', { requestId: `q-${i}`, failer: 99 });
  const continued = await waitFor(
    'a continue-as-new',
    async () => {
      const description = await handle.describe();
      return description.runId !== firstRunId && description.historyLength < 40 ? description : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(continued.status.name).toBe('RUNNING');
  const after = await waitFor(
    'every signal to be applied',
    async () => {
      const current = await imex.imex.incompleteExecutionState(ieId);
      return current?.lastRejection?.requestId === 'q-29' ? current : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(after).toMatchObject({ ieId, status: 'pending', attempts: 0, failer: 2 });
  // A request id seen before the continue-as-new is still answered, not applied again.
  await expect(imex.imex.requestIncompleteExecution(ieId, 'patch', { requestId: 'q-29', failer: 99 })).rejects.toThrow(
    /failer 99/,
  );
  // Its timer resumes with what is left of the step, not a fresh minute.
  expect(Date.parse(after!.nextRetryAt!)).toBe(Date.parse(state!.nextRetryAt!));
});

test('parking twice (a replayed or concurrent store) makes exactly one IE, one workflow, one quota charge', async () => {
  const activities = createActivities({
    store: imex.store,
    registry: imex.registry,
    client: env.client,
    taskQueue: imex.taskQueue,
    schedule: makeRetrySchedule,
  });
  const scenario = await imex.store.scenarios.create({ orgId: imex.orgId, name: 'idempotent', blueprint: blueprint() });
  const input = {
    orgId: imex.orgId,
    scenarioId: scenario.id,
    scenarioName: 'idempotent',
    executionId: '12'.repeat(16),
    blueprint: blueprint(),
    failed: {
      failer: 2,
      bundleIndex: 0,
      context: { '1': { order: 1 } },
      error: { type: 'ConnectionError' as const, message: 'down', moduleId: 2 },
      outcome: 'park-auto-retry' as const,
    },
  };
  const before = (await imex.store.quota.usage(imex.orgId)).used;
  const [a, b] = await Promise.all([
    activities.parkIncompleteExecution(input),
    activities.parkIncompleteExecution(input),
  ]);
  const again = await activities.parkIncompleteExecution(input);
  expect(a.parked?.ieId).toBeDefined();
  expect(b.parked?.ieId).toBe(a.parked?.ieId);
  expect(again.parked?.ieId).toBe(a.parked?.ieId);
  const ieId = a.parked?.ieId as string;
  expect(await imex.store.incompleteExecutions.collection.countDocuments({ executionId: input.executionId })).toBe(1);
  const runs = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${ieWorkflowId(ieId)}'` })) runs.push(wf);
  expect(runs).toHaveLength(1);
  expect((await imex.store.quota.usage(imex.orgId)).used - before).toBe((await doc(ieId)).size);
});
