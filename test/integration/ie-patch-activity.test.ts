/**
 * The patch activity on the real store, as the IE workflow runs it: bundles merged per module id
 * into what is stored now, large ones kept by reference, and its change-log entry written once
 * whatever crash or activity retry comes between its two writes.
 */
import { createIncompleteExecutionActivities } from '../../activities/incomplete-executions';
import { blueprintSchema, type IeChangeStamp } from '../../src/domain';
import { createStore, ensureIndexes, isBlobRef, type Store } from '../../src/store';
import { webhookTrigger } from '../helpers/blueprints';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
let store: Store;
let activities: ReturnType<typeof createIncompleteExecutionActivities>;

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  activities = createIncompleteExecutionActivities({
    store,
    registry: { get: () => undefined } as never,
    client: env.client,
    taskQueue: 'none',
    schedule: [],
  });
});

afterAll(async () => {
  await env?.close();
});

const httpStep = (id: number) => ({ id, module: 'http:ActionSendData', version: 3, parameters: {}, mapper: {} });
let seeded = 0;
/** An IE failed at module 3, with bundles of modules 1 and 2. */
async function seedIe() {
  seeded += 1;
  const ieId = `${seeded.toString(16).padStart(8, '0')}${'d'.repeat(24)}`;
  const doc = await store.incompleteExecutions.build({
    ieId,
    orgId: 1,
    scenarioId: 1,
    scenarioName: 'seeded',
    executionId: ieId,
    failer: 3,
    bundleIndex: 0,
    blueprint: blueprintSchema.parse({ name: 'seeded', flow: [webhookTrigger, httpStep(2), httpStep(3)] }),
    context: { '1': { n: 1 }, '2': { a: 1 } },
    error: { type: 'DataError', message: 'seeded', moduleId: 3 },
    retry: false,
  });
  await store.incompleteExecutions.insert(doc);
  return ieId;
}

const stamp = (key: string): IeChangeStamp => ({
  key,
  kind: 'patch',
  at: new Date().toISOString(),
  actor: { type: 'token', tokenId: 't1', name: 'ops' },
  reason: 'fix',
});
const context = async (ieId: string) =>
  JSON.parse((await store.incompleteExecutions.get(ieId))?.context ?? '{}') as Record<string, unknown>;

test('a retried patch activity merges once and logs once', async () => {
  const ieId = await seedIe();
  const patch = { bundles: { '2': { value: { a: 2 } } } };
  expect(await activities.patchIncompleteExecution(ieId, patch, stamp('r1'))).toEqual({ ok: true, failer: 3 });
  expect(await activities.patchIncompleteExecution(ieId, patch, stamp('r1'))).toEqual({ ok: true, failer: 3 });
  expect(await context(ieId)).toEqual({ '1': { n: 1 }, '2': { a: 2 } });
  const log = await store.ieChanges.page(ieId, 0, 10);
  expect(log.changes).toEqual([
    expect.objectContaining({ seq: 1, changes: { bundles: { '2': { before: { a: 1 }, after: { a: 2 } } } } }),
  ]);
});

test('a crash after the log entry and before the IE write: the retry applies the patch, the log keeps one entry', async () => {
  const ieId = await seedIe();
  // What the first try wrote before it died: the entry, not the patch.
  const { key, ...note } = stamp('r2');
  await store.ieChanges.record(1, key, {
    ieId,
    ...note,
    changes: { bundles: { '1': { before: { n: 1 }, after: { n: 9 } } } },
  });
  await activities.patchIncompleteExecution(ieId, { bundles: { '1': { value: { n: 9 } } } }, stamp('r2'));
  expect(await context(ieId)).toEqual({ '1': { n: 9 }, '2': { a: 1 } });
  expect((await store.ieChanges.page(ieId, 0, 10)).total).toBe(1);
});

test('a large bundle sent inline (a signal through Temporal) is kept by reference and logged as a summary', async () => {
  const ieId = await seedIe();
  const big = { a: 'x'.repeat(100 * 1024) };
  await activities.patchIncompleteExecution(ieId, { bundles: { '2': { value: big } } }, stamp('r3'));
  const stored = await context(ieId);
  expect(isBlobRef(stored['2'])).toBe(true);
  expect(await store.blobs.get(stored['2'] as never)).toEqual(big);
  expect(stored['1']).toEqual({ n: 1 });
  const [entry] = (await store.ieChanges.page(ieId, 0, 1)).changes;
  expect(entry?.changes.bundles?.['2']?.after).toEqual({
    summary: true,
    sha256: (stored['2'] as { $imexBlob: string }).$imexBlob,
    bytes: Buffer.byteLength(JSON.stringify(big)),
  });
  // The size counts what is stored now.
  expect((await store.incompleteExecutions.get(ieId))?.size).toBeGreaterThan(0);
});

test('a refused patch writes nothing, log included', async () => {
  const ieId = await seedIe();
  const before = await store.incompleteExecutions.get(ieId);
  const refused = await activities.patchIncompleteExecution(
    ieId,
    { bundles: { '1': { value: { n: 5 } }, '3': { value: { b: 1 } } } },
    stamp('r4'),
  );
  expect(refused).toEqual({ ok: false, reason: expect.stringMatching(/^bundles\.3: /) });
  expect(await store.incompleteExecutions.get(ieId)).toEqual(before);
  expect((await store.ieChanges.page(ieId, 0, 10)).total).toBe(0);
});
