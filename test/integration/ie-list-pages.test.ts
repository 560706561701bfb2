/**
 * IE lists (issue 16): a page is an index range on the real server, and every list (filters,
 * sorts, directions, offsets) answers exactly what the list's definition says: the documents of
 * the organization that are not deleted, matching the filters, ordered by the sort field then
 * `_id`, sliced at the offset. On FerretDB this covers imex's pushdown patch
 * (src/stack/ferretdb/list_index.go): SQL filters, SQL order, then the handler's own filter.
 */
import type { ErrorCategory, IeStatus } from '../../src/domain';
import { createStore, ensureIndexes, type Store } from '../../src/store';
import type { IncompleteExecutionDocument, IncompleteExecutionListQuery } from '../../src/store/incomplete-executions';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
let store: Store;
let docs: IncompleteExecutionDocument[];
let isFerret: boolean;

const STATUSES: IeStatus[] = ['unresolved', 'pending', 'in_progress', 'resolved'];
const ERRORS: ErrorCategory[] = ['DataError', 'ConnectionError', 'RuntimeError'];
const BASE = Date.parse('2026-01-01T00:00:00Z');

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  const info = await env.db.admin().command({ buildInfo: 1 });
  isFerret = 'ferretdbVersion' in info;
  // 1,200 IEs over 2 organizations, 3 scenarios, every status, with ties in `created`,
  // `size` and `attempts`, and some deleted (never listed).
  docs = await Promise.all(
    Array.from({ length: 1200 }, async (_, i) => {
      const status = STATUSES[i % 4]!;
      const doc = await store.incompleteExecutions.build(
        {
          ieId: `ie-${String((i * 7919) % 10007).padStart(5, '0')}`,
          orgId: 1 + (i % 2),
          scenarioId: 10 + (i % 3),
          scenarioName: 's',
          executionId: `x-${i % 100}`, // 12 IEs per run
          failer: 2,
          bundleIndex: 0,
          blueprint: { name: 's', flow: [] } as never,
          context: { '1': { i } },
          error: { type: ERRORS[i % 3]!, message: 'm', moduleId: 2 },
          retry: false,
        },
        new Date(BASE + Math.floor(i / 4) * 1000),
      );
      return {
        ...doc,
        status,
        resolved: status === 'resolved',
        deleted: i % 13 === 0,
        size: (i * 37) % 50,
        attempts: i % 5,
      };
    }),
  );
  await store.incompleteExecutions.collection.insertMany(docs);
});
afterAll(() => env.close());

/** What a list is, by definition. */
function expected(query: IncompleteExecutionListQuery): string[] {
  const dir = query.sortDir === 'asc' ? 1 : -1;
  const key = (d: IncompleteExecutionDocument) => (query.sortBy === 'created' ? d.created.getTime() : d[query.sortBy]);
  return docs
    .filter(
      (d) =>
        d.orgId === query.orgId &&
        !d.deleted &&
        (query.scenarioId === undefined || d.scenarioId === query.scenarioId) &&
        (query.executionId === undefined || d.executionId === query.executionId) &&
        (query.status === undefined || d.status === query.status) &&
        (query.errorType === undefined || d.error.type === query.errorType),
    )
    .sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      if (ka !== kb) return ka < kb ? -dir : dir;
      return a._id < b._id ? -dir : a._id > b._id ? dir : 0;
    })
    .slice(query.offset, query.offset + query.limit)
    .map((d) => d._id);
}

test('every list answers its definition: filters, sorts, directions and offsets', async () => {
  const filters: Partial<IncompleteExecutionListQuery>[] = [
    {},
    { scenarioId: 11 },
    { status: 'pending' },
    { status: 'resolved' },
    { scenarioId: 12, status: 'unresolved' },
    { errorType: 'ConnectionError' },
    { scenarioId: 10, errorType: 'DataError' },
    { scenarioId: 99 },
    { executionId: 'x-7' },
    { executionId: 'x-8', status: 'unresolved' },
    { executionId: 'x-9', scenarioId: 10 },
  ];
  let compared = 0;
  for (const filter of filters) {
    for (const sortBy of ['created', 'size', 'attempts'] as const) {
      for (const sortDir of ['desc', 'asc'] as const) {
        for (const [offset, limit] of [
          [0, 20],
          [37, 50],
          [290, 100],
        ] as const) {
          const query: IncompleteExecutionListQuery = { orgId: 2, ...filter, sortBy, sortDir, offset, limit };
          const page = await store.incompleteExecutions.list(query);
          expect({ query, ids: page.map((d) => d._id) }).toEqual({ query, ids: expected(query) });
          // Lists never carry the blueprint or the bundles.
          expect(page.every((d) => d.blueprint === undefined && d.context === undefined)).toBe(true);
          compared += page.length;
        }
      }
    }
  }
  expect(compared).toBeGreaterThan(3000);
});

/** The plan of the list query (as `list()` sends it), once the server uses an index for it. */
async function planOf(filter: Record<string, unknown>, sort: Record<string, 1 | -1>): Promise<string> {
  const ies = store.incompleteExecutions.collection;
  let plan = '';
  // imex-ferretdb adds its list indexes within a second of the table's creation.
  for (let tries = 0; tries < 50; tries++) {
    await ies.findOne({ _id: docs[0]!._id }); // a real read makes the connection see new indexes
    plan = JSON.stringify(await ies.find(filter).sort(sort).limit(20).explain());
    if (plan.includes(isFerret ? 'USING INDEX' : 'IXSCAN')) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return plan;
}

test.each([
  ['by scenario', { orgId: 1, deleted: false, scenarioId: 11 }, 'org_scenario'],
  ['by status', { orgId: 1, deleted: false, status: 'pending' }, 'org_status'],
  ['of the organization', { orgId: 1, deleted: false }, 'org_created'],
  ['of a run (executionId)', { orgId: 1, deleted: false, executionId: 'x-8' }, 'org_execution'],
])('a page of the list %s is an index range, in either direction', async (_name, filter, ferretIndex) => {
  for (const dir of [-1, 1] as const) {
    const plan = await planOf(filter, { created: dir, _id: dir });
    if (isFerret) {
      // SQLite walks imex's expression index in order: no scan, no sort of the matching rows.
      expect(plan).toMatch(new RegExp(`SEARCH \\S+ USING INDEX \\S+_imex_${ferretIndex}`));
      expect(plan).not.toContain('TEMP B-TREE');
      expect(plan).toContain('"sortPushdown":true');
    } else {
      expect(plan).toContain('"IXSCAN"');
      expect(plan).not.toContain('"SORT"');
    }
  }
});

test('whether a scenario has an open IE answers its definition, from one index entry', async () => {
  // A scenario whose IEs are all closed: resolved, deleted, or both.
  const closed = [
    { resolved: true, deleted: false },
    { resolved: false, deleted: true },
    { resolved: true, deleted: true },
  ].map((flags, i) => ({ ...docs[i]!, ...flags, _id: `ie-closed-${i}`, orgId: 1, scenarioId: 50 }));
  await store.incompleteExecutions.collection.insertMany(closed);
  for (const orgId of [1, 2]) {
    for (const scenarioId of [10, 11, 12, 50, 99]) {
      const open = docs.some((d) => d.orgId === orgId && d.scenarioId === scenarioId && !d.resolved && !d.deleted);
      expect({ orgId, scenarioId, open: await store.incompleteExecutions.hasOpen(orgId, scenarioId) }).toEqual({
        orgId,
        scenarioId,
        open,
      });
    }
  }
  const plan = await planOf({ orgId: 1, scenarioId: 11, resolved: false, deleted: false }, { created: -1, _id: -1 });
  if (isFerret) {
    expect(plan).toMatch(/SEARCH \S+ USING INDEX \S+_imex_org_scenario_resolved_created/);
    expect(plan).not.toContain('TEMP B-TREE');
  } else {
    expect(plan).toContain('"IXSCAN"');
    expect(plan).not.toContain('"SORT"');
  }
});
