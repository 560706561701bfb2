/**
 * Blob collection against the real store and worker: blobs no IE, run log or queued webhook
 * references go once unused past the grace (after a delete or a purge), and never one that is
 * still referenced, young, or being stored by a `put` racing the sweep.
 */
import type { Db } from 'mongodb';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { waitForIeDocument } from '../helpers/ie-waits';
import { blueprintSchema, type BundleContext } from '../../src/domain';
import {
  BLOB_REFERENCERS,
  BlobStore,
  blobRefsIn,
  collectUnusedBlobs,
  createStore,
  ensureIndexes,
  type BlobRef,
  type Store,
} from '../../src/store';
import type { MaintenanceReport } from '../../activities';

const HOUR = 60 * 60_000;

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;
/** Direct store tests use a database of their own: sweeps there see only their own blobs. */
let ownDb: Db;
let own: Store;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: [HOUR] });
  http = await new ScriptedHttpServer().start();
  http.script('/bad', { status: 422 });
  ownDb = env.mongo.db(`${env.db.databaseName}-b`.slice(0, 63));
  own = createStore(ownDb);
  await ensureIndexes(own);
});

// Each direct store test starts without blobs: a sweep there counts only its own.
beforeEach(async () => {
  await own.blobs.collection.deleteMany({});
  await own.blobs.sweeps.deleteMany({});
});

afterAll(async () => {
  if (imex) await terminateOpenWorkflows(env.client, imex.taskQueue);
  await imex?.stop();
  await http?.stop();
  await ownDb?.dropDatabase().catch(() => undefined);
  await env?.close();
});

const sweepNow = (store: Store, graceMs = 0) =>
  collectUnusedBlobs(store.db, store.blobs, { graceMs, limit: 1000, now: new Date(Date.now() + 1) });

async function whole(blobs: BlobStore, ref: BlobRef): Promise<boolean> {
  return blobs.get(ref).then(
    () => true,
    () => false,
  );
}

test('the referencers scanned are the store collections that hold references', () => {
  const names = [own.incompleteExecutions.collection, own.executions.collection, own.webhooks.entries].map(
    (c) => c.collectionName,
  );
  expect(BLOB_REFERENCERS.map((r) => r.collection)).toEqual(names);
});

test('a blob is kept while any one IE, run log or queued webhook references it, and goes when none does', async () => {
  const ref = await own.blobs.put({ payload: 'r'.repeat(100_000) });
  const context: BundleContext = { '1': { ...ref } };

  // An IE's bundles.
  const doc = await own.incompleteExecutions.build({
    ieId: 'a'.repeat(32),
    orgId: 1,
    scenarioId: 1,
    scenarioName: 's',
    executionId: 'b'.repeat(32),
    failer: 2,
    bundleIndex: 0,
    blueprint: blueprintSchema.parse({ name: 's', flow: [webhookTrigger], metadata: { scenario: {} } }),
    context,
    error: { type: 'DataError', message: 'x', moduleId: 2 },
    retry: false,
  });
  await own.incompleteExecutions.insert(doc);
  expect((await sweepNow(own)).referenced).toBe(1);
  await own.incompleteExecutions.markDeleted(doc._id);

  // A run's log.
  await own.executions.record({
    executionId: 'c'.repeat(32),
    orgId: 1,
    scenarioId: 1,
    status: 'warning',
    startedAt: new Date(),
    endedAt: new Date(),
    durationMs: 1,
    operations: 1,
    trigger: 'manual',
    log: [
      {
        moduleId: 1,
        module: 'gateway:CustomWebHook',
        bundleIndex: 0,
        startedAt: new Date().toISOString(),
        durationMs: 1,
        status: 'success',
        outputCount: 1,
        output: [{ ...ref }],
      },
    ],
  });
  expect((await sweepNow(own)).referenced).toBe(1);
  await own.executions.collection.deleteOne({ _id: 'c'.repeat(32) });

  // A queued webhook payload.
  const queued = await own.webhooks.enqueue({ orgId: 1, scenarioId: 7, cap: 10, data: JSON.stringify(ref) });
  expect(queued.accepted).toBe(true);
  expect((await sweepNow(own)).referenced).toBe(1);
  expect(await whole(own.blobs, ref)).toBe(true);
  await own.webhooks.markConsumedThrough(7, 1);

  // Nothing references it any more.
  const report = await sweepNow(own);
  expect(report).toMatchObject({ deleted: 1, referenced: 0 });
  expect(report.deletedBytes).toBe(ref.bytes);
  expect(await whole(own.blobs, ref)).toBe(false);
  expect(await own.blobs.collection.countDocuments({ _id: { $regex: `^${ref.$imexBlob}` } })).toBe(0);
});

test('a young blob is kept, and one stored again is young again', async () => {
  const ref = await own.blobs.put({ young: 'y'.repeat(70_000) });
  expect((await sweepNow(own, HOUR)).deleted).toBe(0);
  expect(await whole(own.blobs, ref)).toBe(true);
  // Old by the clock of a sweep an hour and a bit later, unless it is put again meanwhile.
  const later = () => new Date(Date.now() + HOUR + 60_000);
  await own.blobs.collection.updateOne(
    { _id: ref.$imexBlob },
    { $set: { lastUsedAt: new Date(Date.now() - 2 * HOUR) } },
  );
  await own.blobs.put({ young: 'y'.repeat(70_000) });
  const kept = await collectUnusedBlobs(own.db, own.blobs, { graceMs: 2 * HOUR, limit: 1000, now: later() });
  expect(kept.deleted).toBe(0);
  const gone = await collectUnusedBlobs(own.db, own.blobs, { graceMs: HOUR, limit: 1000, now: later() });
  expect(gone.deleted).toBe(1);
  expect(await whole(own.blobs, ref)).toBe(false);
});

/** A blob store of the sweep whose manifest reads or deletes wait for the test to let them go. */
function gatedBlobs(db: Db, gate: 'findOne' | 'deleteOne') {
  const blobs = new BlobStore(db);
  let release!: () => void;
  let reached!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const reachedGate = new Promise<void>((resolve) => (reached = resolve));
  const collection = blobs.collection;
  let armed = true;
  const gated = new Proxy(collection, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== gate || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (gate === 'deleteOne') {
          // Let the manifest's delete through, then hold the chunks' deletes.
          const filter = args[0] as { _id: string };
          if (armed && filter._id.includes(':')) {
            armed = false;
            reached();
            await released;
          }
        } else if (armed) {
          armed = false;
          reached();
          await released;
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  Object.defineProperty(blobs, 'collection', { value: gated });
  return { blobs, release, reachedGate };
}

test('a put while the sweep reads the blob keeps it (the sweep sees the touch)', async () => {
  const value = { race: 'a'.repeat(80_000) };
  const ref = await own.blobs.put(value);
  const sweeper = gatedBlobs(ownDb, 'findOne');
  const sweep = collectUnusedBlobs(ownDb, sweeper.blobs, { graceMs: 0, limit: 1000, now: new Date(Date.now() + 1) });
  // The sweep has marked the blob (candidates come from `find`, the gate is its first `findOne`).
  await sweeper.reachedGate;
  const put = own.blobs.put(value);
  await new Promise((resolve) => setTimeout(resolve, 300));
  sweeper.release();
  const [report, again] = await Promise.all([sweep, put]);
  expect(again).toEqual(ref);
  expect(report.deleted).toBe(0);
  expect(report.touched).toBe(1);
  expect(await whole(own.blobs, ref)).toBe(true);
});

test('a put while the sweep deletes the blob waits for it and stores the blob whole again', async () => {
  const value = { race: 'b'.repeat(80_000) };
  const ref = await own.blobs.put(value);
  const sweeper = gatedBlobs(ownDb, 'deleteOne');
  const sweep = collectUnusedBlobs(ownDb, sweeper.blobs, { graceMs: 0, limit: 1000, now: new Date(Date.now() + 1) });
  // The manifest is gone, the chunks are about to go.
  await sweeper.reachedGate;
  let putDone = false;
  const put = own.blobs.put(value).then((r) => {
    putDone = true;
    return r;
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(putDone).toBe(false); // it waits for the sweep rather than answer a blob being deleted
  sweeper.release();
  const [report, again] = await Promise.all([sweep, put]);
  expect(report.deleted).toBe(1);
  expect(again).toEqual(ref);
  expect(await own.blobs.get(again)).toEqual(value);
});

test('puts racing sweeps: every put answers a whole blob', async () => {
  for (let i = 0; i < 15; i++) {
    const value = { stress: `${i}`.padEnd(70_000, 's') };
    const { $imexBlob } = await own.blobs.put(value);
    // Unused for two hours: a candidate of a sweep with a one-hour grace, unless put again.
    await own.blobs.collection.updateOne({ _id: $imexBlob }, { $set: { lastUsedAt: new Date(Date.now() - 2 * HOUR) } });
    const [, ref] = await Promise.all([
      sweepNow(own, HOUR),
      new Promise((resolve) => setTimeout(resolve, i % 5)).then(() => own.blobs.put(value)),
    ]);
    expect(await own.blobs.get(ref)).toEqual(value);
  }
});

test('after a delete and a purge the maintenance workflow collects the blobs of the IE, and keeps what others reference', async () => {
  const blueprint = (confidential: boolean) => ({
    name: 'blobs',
    flow: [webhookTrigger, http.httpModule(2, '/bad', { data: '{{1.n}}' })],
    metadata: { scenario: { dlq: true, confidential } },
  });
  // Confidential: the run's log keeps no outputs, so only the IE references the blob.
  const secret = await imex.createScenario(blueprint(true));
  const logged = await imex.createScenario(blueprint(false));
  const runOf = async (scenarioId: number, payload: string) => {
    const { executionId } = await imex.imex.startScenarioRun({
      orgId: imex.orgId,
      scenarioId,
      data: { n: 1, payload },
    });
    const result = await imex.imex.scenarioRunResult(executionId);
    const ieId = result.parked[0]?.ieId as string;
    const doc = await waitForIeDocument(imex.store, ieId, 'parked', (d) => d.status === 'unresolved');
    const [id, bytes] = [...blobRefsIn(doc.context)][0] as [string, number];
    return { ieId, ref: { $imexBlob: id, bytes } };
  };
  const deleted = await runOf(secret, 'd'.repeat(100_000));
  const resolved = await runOf(secret, 'e'.repeat(100_000));
  const open = await runOf(secret, 'f'.repeat(100_000));
  const inLog = await runOf(logged, 'g'.repeat(100_000));

  await imex.imex.requestIncompleteExecution(deleted.ieId, 'delete');
  await imex.imex.requestIncompleteExecution(inLog.ieId, 'delete');
  await imex.store.incompleteExecutions.markResolved(resolved.ieId);
  await imex.store.incompleteExecutions.collection.updateOne(
    { _id: resolved.ieId },
    { $set: { resolvedAt: new Date(Date.now() - 2 * HOUR) } },
  );
  await waitForIeDocument(imex.store, deleted.ieId, 'deleted', (d) => d.deleted);

  const report = (await env.client.workflow.execute('maintenance', {
    taskQueue: imex.taskQueue,
    workflowId: env.unique('maintenance'),
    args: [{ purgeAfterMs: HOUR, blobGraceMs: 0, minAgeMs: HOUR }],
  })) as MaintenanceReport;
  expect(report.errors).toEqual([]);
  expect(report.purge.purged).toBeGreaterThanOrEqual(1);
  expect(report.blobs?.deleted).toBe(2);
  expect(await whole(imex.store.blobs, deleted.ref)).toBe(false);
  expect(await whole(imex.store.blobs, resolved.ref)).toBe(false);
  // Still referenced: an open IE's bundles, a run's log.
  expect(await whole(imex.store.blobs, open.ref)).toBe(true);
  expect(await whole(imex.store.blobs, inLog.ref)).toBe(true);
});
