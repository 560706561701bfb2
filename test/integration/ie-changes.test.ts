/**
 * The IE change log on the real store (FerretDB): numbered entries, newest-first pages by `_id`
 * point reads, recorded once per request key whatever crash or retry comes between its steps.
 */
import { IeChangeStore, type NewIeChange } from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
let changes: IeChangeStore;

beforeAll(async () => {
  env = await openTestEnv();
  changes = new IeChangeStore(env.db);
  await changes.ensureIndexes();
});

afterAll(async () => {
  await env?.close();
});

let ies = 0;
const newIeId = () => `${(++ies).toString(16).padStart(8, '0')}${'c'.repeat(24)}`;
const change = (ieId: string, reason: string): NewIeChange => ({
  ieId,
  kind: 'patch',
  at: new Date().toISOString(),
  actor: { type: 'token', tokenId: 't1', name: 'ops' },
  reason,
  changes: { failer: { before: 2, after: 3 } },
});

test('numbers entries per IE and pages them newest first', async () => {
  const ieId = newIeId();
  const other = newIeId();
  for (let i = 1; i <= 5; i++) expect(await changes.record(1, `k${i}`, change(ieId, `r${i}`))).toBe(i);
  await changes.record(1, 'k1', change(other, 'elsewhere'));
  const first = await changes.page(ieId, 0, 2);
  expect(first.total).toBe(5);
  expect(first.changes.map((c) => [c.seq, c.reason])).toEqual([
    [5, 'r5'],
    [4, 'r4'],
  ]);
  expect((await changes.page(ieId, 4, 10)).changes.map((c) => c.seq)).toEqual([1]);
  expect((await changes.page(ieId, 5, 10)).changes).toEqual([]);
  expect((await changes.page(other, 0, 10)).changes).toEqual([
    expect.objectContaining({ seq: 1, reason: 'elsewhere' }),
  ]);
});

test('a retried recording writes nothing twice: after the entry, and after the head moved', async () => {
  const ieId = newIeId();
  await changes.record(1, 'a', change(ieId, 'first'));
  // Retried after it was written completely.
  expect(await changes.record(1, 'a', change(ieId, 'first again'))).toBe(1);
  // A crash between the entry and the head: the entry is there, the head is not moved.
  await changes.collection.insertOne({
    _id: `${ieId}:000000002`,
    ieId,
    orgId: 1,
    seq: 2,
    key: 'b',
    at: new Date(),
    data: JSON.stringify(change(ieId, 'second')),
  });
  expect(await changes.lastSeq(ieId)).toBe(1);
  expect(await changes.record(1, 'b', change(ieId, 'second, retried'))).toBe(2);
  expect(await changes.lastSeq(ieId)).toBe(2);
  expect(await changes.record(1, 'c', change(ieId, 'third'))).toBe(3);
  const page = await changes.page(ieId, 0, 10);
  expect(page.changes.map((c) => c.reason)).toEqual(['third', 'second', 'first']);
  expect(await changes.collection.countDocuments({ ieId })).toBe(4); // three entries and the head
});

test('purges the logs of the IEs given, and only theirs', async () => {
  const gone = newIeId();
  const kept = newIeId();
  await changes.record(1, 'x', change(gone, 'x'));
  await changes.record(1, 'y', change(kept, 'y'));
  expect(await changes.purge([gone])).toBe(2);
  expect((await changes.page(gone, 0, 10)).total).toBe(0);
  expect((await changes.page(kept, 0, 10)).total).toBe(1);
});
