import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
beforeAll(async () => (env = await openTestEnv()));
afterAll(() => env.close());

test('insert, find, update and a unique index work through the mongodb driver', async () => {
  const things = env.db.collection<{ _id: string; name: string; count: number }>('things');
  await things.createIndex({ name: 1 }, { unique: true, name: 'name_unique' });
  await things.insertMany([
    { _id: 'a', name: 'alpha', count: 1 },
    { _id: 'b', name: 'beta', count: 2 },
  ]);

  expect(await things.findOne({ _id: 'a' })).toEqual({ _id: 'a', name: 'alpha', count: 1 });
  const updated = await things.updateOne({ _id: 'b' }, { $inc: { count: 5 }, $set: { name: 'gamma' } });
  expect(updated.matchedCount).toBe(1);
  expect(await things.find({ count: { $gte: 2 } }).toArray()).toEqual([{ _id: 'b', name: 'gamma', count: 7 }]);

  const indexes = await things.listIndexes().toArray();
  expect(indexes.map((i) => i.name)).toContain('name_unique');
  // The unique index is enforced: the race-free primitive imex builds on.
  await expect(things.insertOne({ _id: 'c', name: 'alpha', count: 0 })).rejects.toMatchObject({ code: 11000 });
  await expect(things.insertOne({ _id: 'a', name: 'delta', count: 0 })).rejects.toMatchObject({ code: 11000 });
});

/** Fills a collection and waits for the plan of a lookup by `_id`; returns the last plan. */
async function planOfIdLookup(name: string): Promise<string> {
  const things = env.db.collection<{ _id: string; n: number }>(name);
  // SQLite scans a table of a few pages whatever its indexes; this one is big enough to use one.
  await things.insertMany(Array.from({ length: 2000 }, (_, n) => ({ _id: `doc-${n}`, n })));
  // FerretDB's own `_id` index never matches its queries' expression, so it plans a full scan;
  // imex-ferretdb adds the matching index within a second of the table's creation.
  let plan = '';
  for (let tries = 0; tries < 50 && !plan.includes('USING INDEX'); tries++) {
    // EXPLAIN plans with the connection's cached schema; a real read makes it see the new index.
    await things.findOne({ _id: 'doc-1' });
    plan = JSON.stringify(await things.find({ _id: 'doc-7' }).explain());
    if (!plan.includes('USING INDEX')) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return plan;
}

test('a lookup by _id is served by an index (imex-ferretdb adds the one FerretDB v1 lacks)', async () => {
  const info = await env.db.admin().command({ buildInfo: 1 });
  if (!('ferretdbVersion' in info)) return; // a real MongoDB answers by _id from its own index
  expect(await planOfIdLookup('by_id')).toMatch(/SEARCH \S+ USING INDEX \S+_imex_id/);
  const things = env.db.collection<{ _id: string; n: number }>('by_id');
  expect(await things.updateOne({ _id: 'doc-7' }, { $inc: { n: 1 } })).toMatchObject({ modifiedCount: 1 });
  expect(await things.findOne({ _id: 'doc-7' })).toEqual({ _id: 'doc-7', n: 8 });

  // A dropped database is a deleted file; the one created again in its place is indexed too.
  await env.db.dropDatabase();
  expect(await planOfIdLookup('by_id_again')).toMatch(/SEARCH \S+ USING INDEX \S+_imex_id/);
});
