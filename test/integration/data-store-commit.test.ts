/**
 * Committing a run's data-store writes without multi-document transactions, on the real
 * wire-protocol server: a commit records its intent, applies each write idempotently, then marks
 * itself done. A crash between apply steps (simulated: the commit's first half runs and stops after
 * some writes, then the commit activity runs again, as Temporal retries it) neither loses nor
 * doubles a write.
 */
import { createDataStoreTransactionActivities } from '../../activities/data-store-transactions';
import { createStore, ensureIndexes, type Store } from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
let store: Store;
let orgId: number;

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  orgId = (await store.organizations.create({ name: env.unique('org') }))._id;
});

afterAll(async () => {
  await env?.close();
});

async function newStore(): Promise<number> {
  return (
    await store.dataStores.createDataStore({
      orgId,
      name: env.unique('store'),
      datastructureId: null,
      maxSizeBytes: 1024 * 1024,
    })
  ).id;
}

/** Every record of the store with its version: a write applied twice shows as a version too many. */
async function snapshot(storeId: number) {
  const docs = await store.dataStores.records.find({ storeId }).sort({ key: 1 }).toArray();
  return Object.fromEntries(docs.map((d) => [d.key, { data: JSON.parse(d.data) as unknown, version: d.version }]));
}

const txn = () => env.unique('txn');

test('a commit cut off between apply steps and run again applies every write exactly once', async () => {
  const storeId = await newStore();
  await store.dataStores.putRecord(storeId, 'x', { v: 0 });
  await store.dataStores.putRecord(storeId, 'gone', { v: 0 });
  const txnId = txn();
  const tx = store.dataStoreTransactions;
  await tx.stage(txnId, 1, [
    { store: storeId, kind: 'put', key: 'a', data: { v: 1 } },
    { store: storeId, kind: 'put', key: 'b', data: { v: 1 } },
  ]);
  await tx.stage(txnId, 2, [
    { store: storeId, kind: 'delete', key: 'gone' },
    { store: storeId, kind: 'put', key: 'x', data: { v: 2 } },
  ]);
  await tx.stage(txnId, 3, [{ store: storeId, kind: 'put', key: 'c', data: { v: 3 } }]);
  const request = { key: 'c1', seqs: [1, 2, 3] };

  // The commit activity's first half: the intent, then two of its five writes; the worker dies.
  const intent = await tx.prepareCommit(txnId, request);
  expect(intent.applied).toBe(false);
  expect(await tx.applyCommit(txnId, intent, { stopAfterWrites: 2 })).toBe(2);
  expect(Object.keys(await snapshot(storeId))).toEqual(['a', 'b', 'gone', 'x']);
  expect(await tx.steps.countDocuments({ txnId, state: 'staged' })).toBe(3);

  // Temporal runs the activity again: it finds the intent and finishes it.
  const activities = createDataStoreTransactionActivities(store);
  await activities.commitDataStoreWrites({ txnId, commit: request });
  const expected = {
    a: { data: { v: 1 }, version: 1 },
    b: { data: { v: 1 }, version: 1 },
    c: { data: { v: 3 }, version: 1 },
    x: { data: { v: 2 }, version: 2 },
  };
  expect(await snapshot(storeId)).toEqual(expected);
  expect(await tx.steps.countDocuments({ txnId, state: 'committed' })).toBe(3);

  // Once more (a retry after a lost completion): nothing changes.
  expect(await activities.commitDataStoreWrites({ txnId, commit: request })).toEqual({ written: 0 });
  expect(await snapshot(storeId)).toEqual(expected);

  // Settling removes the run's bookkeeping and leaves the records.
  expect(await activities.settleDataStoreWrites({ txnId, commits: [request] })).toEqual({ written: 0, discarded: 0 });
  expect(await tx.steps.countDocuments({ txnId })).toBe(0);
  expect(await tx.commits.countDocuments({ txnId })).toBe(0);
  expect(await snapshot(storeId)).toEqual(expected);
});

test('a DeleteAllRecords commit cut off after its clear spares what the commit wrote when run again', async () => {
  const storeId = await newStore();
  await store.dataStores.putRecord(storeId, 'old1', { v: 0 });
  await store.dataStores.putRecord(storeId, 'old2', { v: 0 });
  const txnId = txn();
  const tx = store.dataStoreTransactions;
  await tx.stage(txnId, 1, [{ store: storeId, kind: 'clear' }]);
  await tx.stage(txnId, 2, [
    { store: storeId, kind: 'put', key: 'n1', data: { v: 1 } },
    { store: storeId, kind: 'put', key: 'n2', data: { v: 1 } },
  ]);
  const request = { key: 'c1', seqs: [1, 2] };
  const intent = await tx.prepareCommit(txnId, request);
  await tx.applyCommit(txnId, intent, { stopAfterWrites: 2 }); // the clear and n1
  expect(Object.keys(await snapshot(storeId))).toEqual(['n1']);
  await tx.commit(txnId, request);
  expect(await snapshot(storeId)).toEqual({
    n1: { data: { v: 1 }, version: 1 },
    n2: { data: { v: 1 }, version: 1 },
  });
});

test('a retried operation stages once; a committed step is not staged again; settling discards the rest', async () => {
  const storeId = await newStore();
  const txnId = txn();
  const tx = store.dataStoreTransactions;
  expect(await tx.stage(txnId, 1, [{ store: storeId, kind: 'put', key: 'k', data: { try: 1 } }])).toBe(true);
  expect(await tx.stage(txnId, 1, [{ store: storeId, kind: 'put', key: 'k', data: { try: 2 } }])).toBe(true);
  expect(await tx.steps.countDocuments({ txnId })).toBe(1);
  expect(await tx.stagedSteps(txnId, [1])).toEqual([
    { seq: 1, writes: [{ store: storeId, kind: 'put', key: 'k', data: { try: 2 } }] },
  ]);
  await tx.commit(txnId, { key: 'c1', seqs: [1] });
  expect(await tx.stage(txnId, 1, [{ store: storeId, kind: 'put', key: 'k', data: { try: 3 } }])).toBe(false);

  // A step of an operation that failed (the workflow never lists it as pending) is discarded at the end.
  await tx.stage(txnId, 2, [{ store: storeId, kind: 'put', key: 'stray', data: {} }]);
  expect(await tx.stagedSteps(txnId, [])).toEqual([]);
  expect(await tx.settle(txnId, [])).toEqual({ written: 0, discarded: 1 });
  expect(await snapshot(storeId)).toEqual({ k: { data: { try: 2 }, version: 1 } });
});

test("the trigger's writes, committed last, do not undo what later modules committed", async () => {
  const storeId = await newStore();
  const txnId = txn();
  const tx = store.dataStoreTransactions;
  await tx.stage(txnId, 1, [
    { store: storeId, kind: 'put', key: 'shared', data: { by: 'trigger' } },
    { store: storeId, kind: 'put', key: 'mine', data: { by: 'trigger' } },
  ]);
  await tx.stage(txnId, 2, [{ store: storeId, kind: 'put', key: 'shared', data: { by: 'module 2' } }]);
  await tx.commit(txnId, { key: 'c1', seqs: [2] });
  await tx.settle(txnId, [{ key: 'c2', seqs: [1] }]);
  expect(await snapshot(storeId)).toEqual({
    mine: { data: { by: 'trigger' }, version: 1 },
    shared: { data: { by: 'module 2' }, version: 1 },
  });
});

test('maintenance finishes a commit its run left half-applied and forgets a transaction left behind', async () => {
  const storeId = await newStore();
  const tx = store.dataStoreTransactions;
  const halfDone = txn();
  await tx.stage(halfDone, 1, [
    { store: storeId, kind: 'put', key: 'a', data: { v: 1 } },
    { store: storeId, kind: 'put', key: 'b', data: { v: 1 } },
  ]);
  await tx.applyCommit(halfDone, await tx.prepareCommit(halfDone, { key: 'c1', seqs: [1] }), { stopAfterWrites: 1 });
  const abandoned = txn();
  await tx.stage(abandoned, 1, [{ store: storeId, kind: 'put', key: 'never', data: {} }]);

  const later = new Date(Date.now() + 60_000);
  expect(await tx.sweep({ finishBefore: later, forgetBefore: later, limit: 100 })).toMatchObject({
    commitsFinished: 1,
  });
  expect(await snapshot(storeId)).toEqual({
    a: { data: { v: 1 }, version: 1 },
    b: { data: { v: 1 }, version: 1 },
  });
  for (const txnId of [halfDone, abandoned]) {
    expect(await tx.steps.countDocuments({ txnId })).toBe(0);
    expect(await tx.commits.countDocuments({ txnId })).toBe(0);
  }
});
