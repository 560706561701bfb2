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
