/**
 * The IE query on the real server (MongoDB or imex's FerretDB): each field, and some together,
 * match exactly what the query says, in `GET /dlqs`'s list, in the count a dry run answers and in
 * the cursor walk a bulk operation by query makes (every IE once, none created after its bound).
 */
import type { ErrorCategory, IeQuery, IeStatus } from '../../src/domain';
import { createStore, ensureIndexes, type IncompleteExecutionDocument, type Store } from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
let store: Store;
let docs: IncompleteExecutionDocument[];

const STATUSES: IeStatus[] = ['unresolved', 'pending', 'in_progress', 'resolved'];
const ERRORS: ErrorCategory[] = ['DataError', 'ConnectionError', 'RuntimeError'];
const MESSAGES = ['Service answered 503 (Unavailable)', 'Field "email" is not valid', 'timeout after 30 s'];
const BASE = Date.parse('2026-01-01T00:00:00Z');

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  // 600 IEs over 2 organizations, 3 scenarios, 3 failed modules, ties in `created`, some deleted.
  docs = Array.from({ length: 600 }, (_, i) => {
    const status = STATUSES[i % 4]!;
    const doc = store.incompleteExecutions.build(
      {
        ieId: `ie-${String((i * 7919) % 10007).padStart(5, '0')}`,
        orgId: 1 + (i % 2),
        scenarioId: 10 + (i % 3),
        scenarioName: 's',
        executionId: `x-${i}`,
        failer: 2 + (i % 5 === 0 ? 1 : 0) + (i % 7 === 0 ? 2 : 0),
        bundleIndex: 0,
        blueprint: { name: 's', flow: [] } as never,
        context: { '1': { i } },
        error: { type: ERRORS[i % 3]!, message: `${MESSAGES[i % 3]!} #${i % 11}`, moduleId: 2 },
        retry: false,
      },
      new Date(BASE + Math.floor(i / 3) * 60_000),
    );
    return { ...doc, status, resolved: status === 'resolved', deleted: i % 13 === 0 };
  });
  await store.incompleteExecutions.collection.insertMany(docs);
});
afterAll(() => env.close());

/** What a query matches, by definition, newest first. */
function expected(orgId: number, query: IeQuery, upTo = new Date(8.64e15)): string[] {
  const inList = <T>(list: T[] | undefined, value: T) => !list || list.length === 0 || list.includes(value);
  return docs
    .filter(
      (d) =>
        d.orgId === orgId &&
        !d.deleted &&
        d.created <= upTo &&
        inList(query.scenarioIds, d.scenarioId) &&
        inList(query.statuses, d.status) &&
        inList(query.errorTypes, d.error.type) &&
        inList(query.failedModuleIds, d.failer) &&
        (!query.createdFrom || d.created >= new Date(query.createdFrom)) &&
        (!query.createdTo || d.created <= new Date(query.createdTo)) &&
        (!query.messageContains || d.error.message.toLowerCase().includes(query.messageContains.toLowerCase())),
    )
    .sort((a, b) => b.created.getTime() - a.created.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0))
    .map((d) => d._id);
}

const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString();
const queries: IeQuery[] = [
  {},
  { scenarioIds: [11] },
  { scenarioIds: [10, 12] },
  { statuses: ['pending'] },
  { statuses: ['unresolved', 'in_progress'] },
  { errorTypes: ['ConnectionError'] },
  { errorTypes: ['DataError', 'RuntimeError'] },
  { failedModuleIds: [3] },
  { failedModuleIds: [4, 5] },
  { createdFrom: at(20) },
  { createdTo: at(40) },
  { createdFrom: at(20), createdTo: at(20) },
  { messageContains: '503 (unavailable)' },
  { messageContains: 'FIELD "EMAIL"' },
  { messageContains: '#1' },
  { messageContains: '.*' },
  { scenarioIds: [10], statuses: ['pending', 'unresolved'], messageContains: '503', createdFrom: at(10) },
  { scenarioIds: [99] },
];

test.each(queries.map((q) => [JSON.stringify(q), q] as const))(
  'the query %s matches what it says',
  async (_, query) => {
    for (const orgId of [1, 2]) {
      const want = expected(orgId, query);
      // GET /dlqs's list (newest first).
      const listed = await store.incompleteExecutions.list({
        orgId,
        filter: query,
        offset: 0,
        limit: 1000,
        sortBy: 'created',
        sortDir: 'desc',
      });
      expect(listed.map((d) => d._id)).toEqual(want);
      // The dry run's count.
      expect(await store.incompleteExecutions.countMatching(orgId, query, new Date())).toBe(want.length);
    }
  },
);

test('a bulk walk by cursor sees each matching IE once, and none created after its bound', async () => {
  for (const query of [{}, { statuses: ['pending', 'unresolved'] }, { messageContains: 'timeout' }] as IeQuery[]) {
    const upTo = new Date(at(100));
    const seen: string[] = [];
    let cursor: { created: Date; id: string } | undefined;
    for (;;) {
      const page = await store.incompleteExecutions.pageMatching(1, query, {
        upTo,
        limit: 7,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.map((d) => d._id));
      const last = page[page.length - 1];
      if (!last || page.length < 7) break;
      cursor = { created: last.created, id: last._id };
    }
    expect(seen).toEqual(expected(1, query, upTo));
    expect(await store.incompleteExecutions.countMatching(1, query, upTo)).toBe(seen.length);
  }
});
