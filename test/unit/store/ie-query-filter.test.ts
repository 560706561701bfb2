/** The IE query's MongoDB filter: one value is an equality (FerretDB pushes those down), several `$in`. */
import { ieQueryFilter, ieQueryPageFilter } from '../../../src/store/ie-query-filter';

test("an empty query is the organization's IEs that are not deleted", () => {
  expect(ieQueryFilter(7, {})).toEqual({ orgId: 7, deleted: false });
  expect(ieQueryFilter(7, { scenarioIds: [], statuses: [] })).toEqual({ orgId: 7, deleted: false });
});

test('one value is an equality, several (deduplicated) an $in', () => {
  expect(
    ieQueryFilter(1, { scenarioIds: [3, 3], statuses: ['pending'], errorTypes: ['DataError'], failedModuleIds: [2] }),
  ).toEqual({ orgId: 1, deleted: false, scenarioId: 3, status: 'pending', 'error.type': 'DataError', failer: 2 });
  expect(
    ieQueryFilter(1, {
      scenarioIds: [3, 4],
      statuses: ['pending', 'unresolved'],
      errorTypes: ['DataError', 'ConnectionError'],
      failedModuleIds: [2, 5],
    }),
  ).toEqual({
    orgId: 1,
    deleted: false,
    scenarioId: { $in: [3, 4] },
    status: { $in: ['pending', 'unresolved'] },
    'error.type': { $in: ['DataError', 'ConnectionError'] },
    failer: { $in: [2, 5] },
  });
});

test('the created range is inclusive and the message a literal, case-insensitive substring', () => {
  const filter = ieQueryFilter(1, {
    createdFrom: '2026-01-01T00:00:00Z',
    createdTo: '2026-01-02T00:00:00.000Z',
    messageContains: 'a.b*(c)?[d]$^|\\',
  });
  expect(filter.$and).toEqual([
    { created: { $gte: new Date('2026-01-01T00:00:00Z') } },
    { created: { $lte: new Date('2026-01-02T00:00:00Z') } },
    { 'error.message': { $regex: 'a\\.b\\*\\(c\\)\\?\\[d\\]\\$\\^\\|\\\\', $options: 'i' } },
  ]);
  const regex = new RegExp((filter.$and![2] as { 'error.message': { $regex: string } })['error.message'].$regex, 'i');
  expect(regex.test('xx A.B*(C)?[D]$^|\\ yy')).toBe(true);
  expect(regex.test('aXb*(c)?[d]$^|\\')).toBe(false);
});

test('a page is bounded by the snapshot and starts after the cursor in (created, id) descending order', () => {
  const upTo = new Date('2026-02-01T00:00:00Z');
  const created = new Date('2026-01-15T00:00:00Z');
  expect(ieQueryPageFilter(1, { statuses: ['pending'] }, upTo, { created, id: 'abc' })).toEqual({
    orgId: 1,
    deleted: false,
    status: 'pending',
    $and: [{ created: { $lte: upTo } }, { $or: [{ created: { $lt: created } }, { created, _id: { $lt: 'abc' } }] }],
  });
});
