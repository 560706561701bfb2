/**
 * The quota ledger under a storm from two processes' worth of stores (each with its own
 * connection pool and its own group commit) on one database: hundreds of calls at once, every key
 * reserved from both, pre-existing keys released from both. Exactness is checked on the ledger
 * itself, charge by charge; the throughput is reported (never asserted).
 */
import { MongoClient } from 'mongodb';
import { IeQuotaStore, type ReleaseResult, type ReserveResult } from '../../src/store';
import { walkLedger } from '../helpers/quota-ledger';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
let clients: MongoClient[] = [];
let stores: IeQuotaStore[] = [];

beforeAll(async () => {
  env = await openTestEnv();
  await new IeQuotaStore(env.db).holds.createIndex({ orgId: 1 }, { name: 'org' });
  clients = await Promise.all(
    [0, 1].map(() => MongoClient.connect(process.env.IMEX_TEST_MONGO_URL!, { maxPoolSize: 20 })),
  );
  stores = clients.map((client) => new IeQuotaStore(client.db(env.db.databaseName)));
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await env.close();
});

test('two stores, 500 reserves and 100 releases at once: never over the limit, each key charged once, holds = head', async () => {
  const [a, b] = stores as [IeQuotaStore, IeQuotaStore];
  const org = 7001;
  const keys = 250;
  const sizes = Array.from({ length: keys }, (_, i) => 500 + ((i * 7919) % 1000));
  const limit = 150_000;
  // 50 keys hold 1,000 bytes each before the storm; the storm releases them from both stores.
  for (let i = 0; i < 50; i++) await (i % 2 ? a : b).reserve(org, `old-${i}`, 1000, limit);

  const started = performance.now();
  const reserves = sizes.flatMap((bytes, i) => [a, b].map((store) => store.reserve(org, `ie-${i}`, bytes, limit)));
  const releases = Array.from({ length: 50 }, (_, i) => [a, b].map((store) => store.release(org, `old-${i}`))).flat();
  const [reserved, released] = await Promise.all([Promise.all(reserves), Promise.all(releases)]);
  const seconds = (performance.now() - started) / 1000;

  const walk = await walkLedger(env.db, org, limit);
  const holdings = await a.holdings(org);
  const sum = [...holdings.values()].reduce((x, y) => x + y, 0);
  expect((await b.usage(org)).used).toBe(sum);
  expect(walk.used).toBe(sum);
  expect(sum).toBeLessThanOrEqual(limit);

  // Each old key released once, by one of the two stores, freeing exactly its 1,000 bytes.
  for (let i = 0; i < 50; i++) {
    const pair = released.slice(2 * i, 2 * i + 2) as ReleaseResult[];
    expect(pair.filter((r) => r.released).map((r) => r.bytes)).toEqual([1000]);
    expect(holdings.has(`old-${i}`)).toBe(false);
  }
  // Each new key charged at most once, by one of its two calls.
  let accepted = 0;
  for (let i = 0; i < keys; i++) {
    const pair = reserved.slice(2 * i, 2 * i + 2) as ReserveResult[];
    const charged = pair.filter((r) => r.ok && !r.replayed);
    const times = walk.reservesByKey.get(`ie-${i}`) ?? 0;
    expect(charged).toHaveLength(times);
    expect(times).toBeLessThanOrEqual(1);
    expect(holdings.get(`ie-${i}`) ?? 0).toBe(times ? sizes[i] : 0);
    if (times) accepted += 1;
    // Refused only when it did not fit on the total it was decided on (the other store's call may
    // still charge it on a later head, after releases made room).
    for (const r of pair) if (!r.ok) expect(r.used + sizes[i]! > limit).toBe(true);
  }
  expect(accepted).toBeGreaterThan(50);
  expect(accepted).toBeLessThan(keys);
  expect(holdings.size).toBe(accepted);

  const calls = reserves.length + releases.length;
  const storm = walk.entries - 50;
  process.stdout.write(
    `quota race: ${calls} calls from 2 stores in ${seconds.toFixed(2)} s = ${Math.round(calls / seconds)} calls/s; ` +
      `${storm} ledger appends for ${walk.charges - 50} charges (${((walk.charges - 50) / storm).toFixed(1)} a batch)\n`,
  );
}, 120_000);
