/**
 * Maintenance against real servers: the purge of resolved IEs and tombstones, the quota
 * reconciler, the workflow reconciler (each repair from a deliberately broken state), the
 * `maintenance` workflow through the worker, and its Temporal Schedule.
 */
import type { Db } from 'mongodb';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { writtenThroughByWorkflow } from '../helpers/ie-waits';
import { createMaintenanceActivities } from '../../activities/maintenance';
import type { MaintenanceReport } from '../../activities';
import { blueprintSchema, ieWorkflowId, type Blueprint, type IncompleteExecutionInput } from '../../src/domain';
import { createStore, ensureIndexes, IeQuotaStore, type Store } from '../../src/store';
import { MaintenanceStatusStore } from '../../src/store/maintenance-status';
import { ensureMaintenanceSchedule } from '../../src/temporal/maintenance-schedule';
import { waitFor } from '../../src/stack/wait';
import { webhookTrigger } from '../helpers/blueprints';

const HOUR = 60 * 60_000;

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;
/** Purge and quota tests use a database of their own: the workflow reconciler sees all of `env.db`. */
let sweepDb: Db;
let sweep: Store;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: [HOUR] });
  http = await new ScriptedHttpServer().start();
  http.script('/bad', { status: 422 });
  sweepDb = env.mongo.db(`${env.db.databaseName}-s`.slice(0, 63));
  // Forgetting a released key waits for the ledger's grace; the purge tests do not.
  sweep = { ...createStore(sweepDb), quota: new IeQuotaStore(sweepDb, { compactGraceMs: 0 }) };
  await ensureIndexes(sweep);
});

afterAll(async () => {
  // The IE workflows these tests leave waiting (for a person) are ended.
  if (imex) await terminateOpenWorkflows(env.client, imex.taskQueue);
  await imex?.stop();
  await http?.stop();
  await sweepDb?.dropDatabase().catch(() => undefined);
  await env?.close();
});

const blueprint = (): Blueprint =>
  blueprintSchema.parse({
    name: 'maintenance',
    flow: [webhookTrigger, http.httpModule(2, '/bad', { data: '{{1.payload}}' })],
    metadata: { scenario: { dlq: true } },
  });

let seeded = 0;
/** An IE document as parking stores it (reserved in the quota, with one attempt log), in `store`. */
async function seedIe(store: Store, orgId: number, options: { reserve?: boolean } = {}) {
  seeded += 1;
  const ieId = `${seeded.toString(16).padStart(8, '0')}${Date.now().toString(16).padStart(24, '0')}`;
  const doc = await store.incompleteExecutions.build({
    ieId,
    orgId,
    scenarioId: 1,
    scenarioName: 'seeded',
    executionId: ieId,
    failer: 2,
    bundleIndex: 0,
    blueprint: blueprint(),
    context: { '1': { payload: `p${seeded}` } },
    error: { type: 'DataError', message: 'seeded', moduleId: 2 },
    retry: false,
  });
  if (options.reserve ?? true) await store.quota.reserve(orgId, ieId, doc.size, 1_000_000);
  await store.incompleteExecutions.insert(doc);
  await store.executions.record({
    executionId: `a${ieId.slice(1)}`,
    orgId,
    scenarioId: 1,
    status: 'error',
    startedAt: new Date(),
    endedAt: new Date(),
    durationMs: 0,
    operations: 1,
    trigger: 'attempt',
    ieId,
    log: [],
  });
  // A person's change: its log entry is kept and purged with the IE.
  await store.ieChanges.record(orgId, `seed-${ieId}`, {
    ieId,
    kind: 'patch',
    at: new Date().toISOString(),
    actor: { type: 'token', tokenId: 'seed', name: 'seed' },
    reason: 'seeded',
    changes: { failer: { before: 2, after: 2 } },
  });
  return { ieId, size: doc.size };
}

/** Resolves or deletes a seeded IE as its workflow would, `agoMs` in the past. */
async function close(store: Store, orgId: number, ieId: string, as: 'resolved' | 'deleted', agoMs: number) {
  if (as === 'resolved') await store.incompleteExecutions.markResolved(ieId);
  else await store.incompleteExecutions.markDeleted(ieId);
  await store.quota.release(orgId, ieId);
  const at = new Date(Date.now() - agoMs);
  await store.incompleteExecutions.collection.updateOne(
    { _id: ieId },
    { $set: as === 'resolved' ? { resolvedAt: at } : { deletedAt: at } },
  );
}

async function remains(store: Store, orgId: number, ieId: string) {
  return {
    document: (await store.incompleteExecutions.get(ieId)) !== null,
    attemptLogs: (await store.executions.listByIncompleteExecution(ieId)).length,
    quotaRecords: await store.quota.holds.countDocuments({ orgId, key: ieId }),
    changes: (await store.ieChanges.page(ieId, 0, 10)).changes.length,
    changeDocuments: await store.ieChanges.collection.countDocuments({ ieId }),
  };
}

test('purge removes resolved IEs and tombstones past the retention, with their attempt logs and quota records, and keeps younger ones', async () => {
  const orgId = (await sweep.organizations.create({ name: env.unique('purge') }))._id;
  const oldResolved = await seedIe(sweep, orgId);
  const youngResolved = await seedIe(sweep, orgId);
  const oldTombstone = await seedIe(sweep, orgId);
  const youngTombstone = await seedIe(sweep, orgId);
  const resolvedThenDeleted = await seedIe(sweep, orgId);
  const open = await seedIe(sweep, orgId);
  await close(sweep, orgId, oldResolved.ieId, 'resolved', 2 * HOUR);
  await close(sweep, orgId, youngResolved.ieId, 'resolved', 60_000);
  await close(sweep, orgId, oldTombstone.ieId, 'deleted', 2 * HOUR);
  await close(sweep, orgId, youngTombstone.ieId, 'deleted', 60_000);
  // Resolved long ago, deleted a minute ago: the tombstone keeps its full retention.
  await close(sweep, orgId, resolvedThenDeleted.ieId, 'resolved', 3 * HOUR);
  await close(sweep, orgId, resolvedThenDeleted.ieId, 'deleted', 60_000);
  await sweep.incompleteExecutions.collection.updateOne(
    { _id: open.ieId },
    { $set: { created: new Date(Date.now() - 3 * HOUR) } },
  );

  const activities = createMaintenanceActivities({ store: sweep, client: env.client, taskQueue: 'none', schedule: [] });
  // Batches of one: a sweep stays bounded and says when there is more.
  const first = await activities.purgeIncompleteExecutions({ olderThanMs: HOUR, limit: 1 });
  expect(first).toMatchObject({ purged: 1, attemptLogs: 1, quotaForgotten: 1, quotaKept: 0, more: true });
  const second = await activities.purgeIncompleteExecutions({ olderThanMs: HOUR, limit: 1 });
  expect(second).toMatchObject({ purged: 1, attemptLogs: 1, quotaForgotten: 1, more: true });
  const third = await activities.purgeIncompleteExecutions({ olderThanMs: HOUR, limit: 1 });
  expect(third).toMatchObject({ purged: 0, more: false });

  const gone = { document: false, attemptLogs: 0, quotaRecords: 0, changes: 0, changeDocuments: 0 };
  expect(await remains(sweep, orgId, oldResolved.ieId)).toEqual(gone);
  expect(await remains(sweep, orgId, oldTombstone.ieId)).toEqual(gone);
  const kept = { document: true, attemptLogs: 1, quotaRecords: 2, changes: 1, changeDocuments: 2 }; // reserve + release; entry + head
  expect(await remains(sweep, orgId, youngResolved.ieId)).toEqual(kept);
  expect(await remains(sweep, orgId, youngTombstone.ieId)).toEqual(kept);
  expect(await remains(sweep, orgId, resolvedThenDeleted.ieId)).toEqual(kept);
  expect(await remains(sweep, orgId, open.ieId)).toEqual({ ...kept, quotaRecords: 1 });
  expect(await sweep.incompleteExecutions.get(youngResolved.ieId)).toMatchObject({ resolved: true });
  // The open IE still holds its share, and only it.
  expect((await sweep.quota.usage(orgId)).used).toBe(open.size);
});

test("purge forgets sent e-mails and webhook responses at the IEs' retention, and keeps younger ones", async () => {
  const old = new Date(Date.now() - 2 * HOUR);
  const prefix = env.unique('sent');
  await sweep.emailSends.record(`${prefix}-old`, { messageId: 'old' }, old);
  await sweep.emailSends.record(`${prefix}-young`, { messageId: 'young' });
  const response = { status: 200, headers: [], body: 'ok' };
  await sweep.webhookResponses.respond(`${prefix}-old`, response);
  await sweep.webhookResponses.collection.updateOne({ _id: `${prefix}-old` }, { $set: { createdAt: old } });
  await sweep.webhookResponses.respond(`${prefix}-young`, response);

  const activities = createMaintenanceActivities({ store: sweep, client: env.client, taskQueue: 'none', schedule: [] });
  await activities.purgeIncompleteExecutions({ olderThanMs: HOUR, limit: 10 });
  expect(await sweep.emailSends.find(`${prefix}-old`)).toBeUndefined();
  expect(await sweep.emailSends.find(`${prefix}-young`)).toEqual({ messageId: 'young' });
  expect(await sweep.webhookResponses.get(`${prefix}-old`)).toBeUndefined();
  expect(await sweep.webhookResponses.get(`${prefix}-young`)).toEqual(response);
});

test('the quota reconciler releases a hold without an IE, charges an IE without a hold, and leaves young holds alone', async () => {
  const orgId = (await sweep.organizations.create({ name: env.unique('drift') }))._id;
  const consistent = await seedIe(sweep, orgId);
  const unheld = await seedIe(sweep, orgId, { reserve: false }); // its reservation was lost
  await sweep.quota.reserve(orgId, 'no-such-ie', 777, 1_000_000); // its IE was never written
  expect((await sweep.quota.usage(orgId)).used).toBe(consistent.size + 777);

  const activities = createMaintenanceActivities({ store: sweep, client: env.client, taskQueue: 'none', schedule: [] });
  const young = await activities.reconcileQuotas({ afterOrgId: orgId - 1, limit: 1, minHoldAgeMs: HOUR });
  expect(young.repairs).toEqual([
    expect.objectContaining({ orgId, released: [], charged: [unheld.ieId], drift: 777 - unheld.size }),
  ]);
  expect((await sweep.quota.usage(orgId)).used).toBe(consistent.size + unheld.size + 777);

  const batch = await activities.reconcileQuotas({ afterOrgId: orgId - 1, limit: 1, minHoldAgeMs: 0 });
  expect(batch).toMatchObject({ checked: 1, nextAfterOrgId: orgId });
  expect(batch.repairs).toEqual([
    {
      orgId,
      usedBefore: consistent.size + unheld.size + 777,
      usedAfter: consistent.size + unheld.size,
      drift: 777,
      released: ['no-such-ie'],
      charged: [],
      resized: [],
      adjusted: 0,
    },
  ]);
  expect((await sweep.quota.usage(orgId)).used).toBe(consistent.size + unheld.size);
  // Nothing left to repair.
  const again = await activities.reconcileQuotas({ afterOrgId: orgId - 1, limit: 1, minHoldAgeMs: 0 });
  expect(again.repairs).toEqual([]);
});

/** Parks one IE through a real run: unresolved (DataError), its workflow waiting for a person. */
async function parkOne(): Promise<string> {
  const scenarioId = await imex.createScenario(blueprint(), 'maintenance');
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: { payload: 'x' } });
  const result = await imex.imex.scenarioRunResult(executionId);
  const ieId = result.parked[0]?.ieId;
  if (!ieId) throw new Error(`the run parked nothing: ${JSON.stringify(result)}`);
  await waitForIe(ieId, (d) => d?.status === 'unresolved' && writtenThroughByWorkflow(d));
  return ieId;
}

function waitForIe(
  ieId: string,
  predicate: (doc: Awaited<ReturnType<Store['incompleteExecutions']['get']>>) => boolean,
) {
  return waitFor(
    `IE ${ieId}`,
    async () => {
      const doc = await imex.store.incompleteExecutions.get(ieId);
      return predicate(doc) ? (doc ?? null) : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

/** Waits until Temporal's visibility shows the IE workflow running (or not). */
function waitForVisibility(ieId: string, running: boolean) {
  const query = `WorkflowId = '${ieWorkflowId(ieId)}' AND ExecutionStatus = 'Running'`;
  return waitFor(
    `visibility of ${ieWorkflowId(ieId)} ${running ? 'running' : 'ended'}`,
    async () => ((await env.client.workflow.count(query)).count > 0 === running ? true : undefined),
    { timeoutMs: 30_000 },
  );
}

test('the maintenance workflow repairs each broken state through the worker and records what it did', async () => {
  const ies = imex.store.incompleteExecutions;

  // 1. An IE whose workflow was terminated.
  const terminated = await parkOne();
  await env.client.workflow.getHandle(ieWorkflowId(terminated)).terminate('broken on purpose');

  // 2. An IE document that never had a workflow (and no quota hold either).
  const { ieId: neverStarted, size: neverStartedSize } = await seedIe(imex.store, imex.orgId, { reserve: false });

  // 3. A workflow without a document.
  const orphanId = 'f'.repeat(32);
  const orphanInput: IncompleteExecutionInput = {
    schedule: [HOUR],
    state: {
      ieId: orphanId,
      orgId: imex.orgId,
      scenarioId: 1,
      scenarioName: 'orphan',
      executionId: orphanId,
      status: 'unresolved',
      retry: false,
      attempts: 0,
      failer: 2,
      error: { type: 'DataError', message: 'orphan' },
      nextRetryAt: null,
      created: new Date().toISOString(),
      resolved: false,
      deleted: false,
    },
  };
  await env.client.workflow.start('incompleteExecution', {
    taskQueue: imex.taskQueue,
    workflowId: ieWorkflowId(orphanId),
    args: [orphanInput],
  });

  // 4. A document stuck `in_progress` while its workflow waits for a person.
  const stuck = await parkOne();
  await ies.collection.updateOne({ _id: stuck }, { $set: { status: 'in_progress' } });

  // 5. A document `in_progress` whose workflow is gone but whose attempt succeeded.
  const won = await seedIe(imex.store, imex.orgId);
  await ies.collection.updateOne(
    { _id: won.ieId },
    { $set: { status: 'in_progress', attempts: 1, updatedAt: new Date(Date.now() - 1000) } },
  );
  await imex.store.executions.record({
    executionId: `b${won.ieId.slice(1)}`,
    orgId: imex.orgId,
    scenarioId: 1,
    status: 'success',
    startedAt: new Date(),
    endedAt: new Date(),
    durationMs: 0,
    operations: 1,
    trigger: 'attempt',
    ieId: won.ieId,
    log: [],
  });

  // 6. A resolved IE past a (short) retention.
  const purged = await seedIe(imex.store, imex.orgId);
  await close(imex.store, imex.orgId, purged.ieId, 'resolved', 10_000);

  // 7. A quota hold whose IE was never written.
  await imex.store.quota.reserve(imex.orgId, 'lost-ie', 321, 1_000_000);

  await waitForVisibility(terminated, false);
  await waitForVisibility(orphanId, true);
  await waitForVisibility(stuck, true);

  const report: MaintenanceReport = await env.client.workflow.execute('maintenance', {
    taskQueue: imex.taskQueue,
    workflowId: env.unique('maintenance'),
    args: [{ purgeAfterMs: 5_000, minAgeMs: 0 }],
  });

  expect(report.errors).toEqual([]);
  expect(report.purge).toMatchObject({ purged: 1, attemptLogs: 1, more: false });
  expect(await ies.get(purged.ieId)).toBeNull();
  const workflows = report.workflows!;
  expect(workflows.restarted).toEqual(
    expect.arrayContaining([
      { ieId: terminated, reason: 'its workflow ended TERMINATED' },
      { ieId: neverStarted, reason: 'it had no workflow' },
    ]),
  );
  expect(workflows.restarted).toHaveLength(2);
  expect(workflows.orphanWorkflows).toEqual([
    { workflowId: ieWorkflowId(orphanId), reason: 'no incomplete-execution document' },
  ]);
  expect(workflows.resynced).toEqual([{ ieId: stuck, from: 'in_progress', to: 'unresolved' }]);
  expect(workflows.closed).toEqual([
    { ieId: won.ieId, as: 'resolved', reason: `attempt b${won.ieId.slice(1)} succeeded after its workflow ended` },
  ]);
  expect(workflows.stuck).toEqual([]);
  // Quota: the lost hold is released, the IE that was never charged is charged; the resolved one holds nothing.
  expect(report.quota.repairs).toEqual([
    expect.objectContaining({ orgId: imex.orgId, released: ['lost-ie'], charged: [neverStarted] }),
  ]);
  const open = await imex.store.incompleteExecutions.openSizes(imex.orgId);
  expect([...open.keys()].sort()).toEqual([terminated, neverStarted, stuck].sort());
  expect(open.get(neverStarted)).toBe(neverStartedSize);
  expect((await imex.store.quota.usage(imex.orgId)).used).toBe([...open.values()].reduce((a, b) => a + b, 0));

  // The restarted IEs run again and answer for themselves.
  for (const ieId of [terminated, neverStarted]) {
    const state = await waitFor(
      `${ieId} to answer`,
      () => imex.imex.incompleteExecutionState(ieId).then((s) => s ?? undefined),
      {
        timeoutMs: 30_000,
      },
    );
    expect(state).toMatchObject({ ieId, status: 'unresolved', resolved: false });
  }
  expect(await ies.get(stuck)).toMatchObject({ status: 'unresolved' });
  expect(await ies.get(won.ieId)).toMatchObject({ status: 'resolved', resolved: true });

  const status = await new MaintenanceStatusStore<MaintenanceReport>(env.db).get();
  expect(status).toMatchObject({ runs: 1, lastRun: { purge: { purged: 1 } } });
  expect(status?.lastRepair?.workflows?.counts).toEqual({
    restarted: 2,
    closed: 1,
    resynced: 1,
    orphanWorkflows: 1,
    stuck: 0,
  });

  // A second run finds the repaired state whole: only the orphan is reported again.
  await waitForVisibility(terminated, true);
  await waitForVisibility(neverStarted, true);
  const again: MaintenanceReport = await env.client.workflow.execute('maintenance', {
    taskQueue: imex.taskQueue,
    workflowId: env.unique('maintenance'),
    args: [{ purgeAfterMs: 5_000, minAgeMs: 0 }],
  });
  expect(again.errors).toEqual([]);
  expect(again.workflows?.counts).toEqual({ restarted: 0, closed: 0, resynced: 0, orphanWorkflows: 1, stuck: 0 });
  expect(again.quota.repairs).toEqual([]);
  expect(again.purge.purged).toBe(0);
});

test('an IE whose stored bundles are gone waits for a person instead of being stuck in progress', async () => {
  const ieId = await parkOne();
  // Its bundles are gone: the attempt cannot be prepared, and retrying cannot bring them back.
  await imex.store.incompleteExecutions.collection.updateOne({ _id: ieId }, { $unset: { context: '' } });
  await imex.imex.signalIncompleteExecution(ieId, 'retry');
  const waiting = await waitFor(
    'the IE to wait for a person',
    async () => {
      const doc = await imex.store.incompleteExecutions.get(ieId);
      return doc?.status === 'unresolved' && doc.attempts === 1 ? doc : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(waiting).toMatchObject({ retry: false, error: { type: 'UnexpectedError' } });
  expect(waiting.error.message).toMatch(/^the attempt could not run: .*has no stored blueprint or bundles/);

  const report: MaintenanceReport = await env.client.workflow.execute('maintenance', {
    taskQueue: imex.taskQueue,
    workflowId: env.unique('maintenance'),
    args: [{ purgeAfterMs: HOUR, minAgeMs: 0 }],
  });
  expect(report.workflows?.stuck).toEqual([]);
  expect(report.workflows?.restarted).toEqual([]);
  expect(report.workflows?.resynced).toEqual([]);
});

test('the maintenance schedule is created once, updated on the next ensure, and runs the workflow', async () => {
  const scheduleId = env.unique('imex-maintenance');
  const options = { taskQueue: imex.taskQueue, scheduleId, input: { purgeAfterMs: HOUR, minAgeMs: HOUR } };
  try {
    expect(await ensureMaintenanceSchedule(env.client, options)).toEqual({ scheduleId, created: true });
    expect(await ensureMaintenanceSchedule(env.client, { ...options, interval: '2 hours' })).toEqual({
      scheduleId,
      created: false,
    });
    const handle = env.client.schedule.getHandle(scheduleId);
    const description = await handle.describe();
    expect(description.spec.intervals).toEqual([expect.objectContaining({ every: 2 * HOUR })]);
    expect(description.action).toMatchObject({ workflowType: 'maintenance', taskQueue: imex.taskQueue });
    expect(description.action.type === 'startWorkflow' && description.action.args).toEqual([options.input]);

    const runsBefore = (await new MaintenanceStatusStore(env.db).get())?.runs ?? 0;
    await handle.trigger();
    await waitFor(
      'the scheduled maintenance run',
      async () => ((await new MaintenanceStatusStore(env.db).get())?.runs ?? 0) > runsBefore || undefined,
      { timeoutMs: 60_000 },
    );
  } finally {
    await env.client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
  }
});
