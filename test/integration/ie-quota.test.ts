import { MongoClient } from 'mongodb';
import { IeQuotaStore, type QuotaBatchOp, type ReserveResult } from '../../src/store';
import { recomputeFromLedger, walkLedger } from '../helpers/quota-ledger';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
let quota: IeQuotaStore;
/** Separate connections to the same database: concurrency the server sees, not just the driver. */
let clients: MongoClient[] = [];
let stores: IeQuotaStore[] = [];
let nextOrg = 1;

beforeAll(async () => {
  env = await openTestEnv();
  quota = new IeQuotaStore(env.db);
  await quota.holds.createIndex({ orgId: 1 }, { name: 'org' });
  clients = await Promise.all(
    Array.from({ length: 5 }, () => MongoClient.connect(process.env.IMEX_TEST_MONGO_URL!, { maxPoolSize: 10 })),
  );
  stores = clients.map((client) => new IeQuotaStore(client.db(env.db.databaseName)));
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await env.close();
});

const newOrg = () => nextOrg++;
const storeFor = (i: number) => stores[i % stores.length]!;

describe('one writer', () => {
  test('reserves within the limit and refuses above it with used and limit', async () => {
    const org = newOrg();
    expect(await quota.reserve(org, 'ie-a', 600, 1000)).toEqual({
      ok: true,
      used: 600,
      limit: 1000,
      bytes: 600,
      replayed: false,
    });
    expect(await quota.reserve(org, 'ie-b', 400, 1000)).toMatchObject({ ok: true, used: 1000 });
    expect(await quota.reserve(org, 'ie-c', 1, 1000)).toEqual({ ok: false, used: 1000, limit: 1000 });
    expect(await quota.usage(org)).toEqual({ used: 1000, limit: 1000, seq: 2 });
  });

  test('a release frees exactly what the key holds, once', async () => {
    const org = newOrg();
    await quota.reserve(org, 'ie-a', 700, 1000);
    await quota.reserve(org, 'ie-b', 300, 1000);
    expect(await quota.release(org, 'ie-a')).toEqual({ released: true, bytes: 700, used: 300 });
    expect(await quota.release(org, 'ie-a')).toEqual({ released: false, bytes: 0, used: 300 });
    expect(await quota.release(org, 'never-reserved')).toEqual({ released: false, bytes: 0, used: 300 });
    expect(await quota.reserve(org, 'ie-c', 700, 1000)).toMatchObject({ ok: true, used: 1000 });
    expect(await recomputeFromLedger(env.db, org, 1000)).toBe(1000);
  });

  test('reserving a key that holds a reservation charges nothing (a replayed activity)', async () => {
    const org = newOrg();
    await quota.reserve(org, 'ie-a', 500, 1000);
    expect(await quota.reserve(org, 'ie-a', 500, 1000)).toEqual({
      ok: true,
      used: 500,
      limit: 1000,
      bytes: 500,
      replayed: true,
    });
    // Even when the org is full: the key already has its share.
    await quota.reserve(org, 'ie-b', 500, 1000);
    expect(await quota.reserve(org, 'ie-a', 500, 1000)).toMatchObject({ ok: true, replayed: true, used: 1000 });
    expect((await quota.usage(org)).used).toBe(1000);
  });

  test('a key released and reserved again is charged again', async () => {
    const org = newOrg();
    await quota.reserve(org, 'ie-a', 500, 1000);
    await quota.release(org, 'ie-a');
    expect(await quota.reserve(org, 'ie-a', 800, 1000)).toMatchObject({ ok: true, used: 800, replayed: false });
    expect(await quota.held(org, 'ie-a')).toBe(800);
    expect(await quota.release(org, 'ie-a')).toMatchObject({ released: true, bytes: 800, used: 0 });
  });

  test('counts above 2^31 bytes neither wrap nor lose precision', async () => {
    const org = newOrg();
    const big = 3 * 2 ** 31 + 7;
    await quota.reserve(org, 'ie-a', big, 2 ** 40);
    await quota.reserve(org, 'ie-b', big, 2 ** 40);
    expect((await quota.usage(org)).used).toBe(2 * big);
    expect(await recomputeFromLedger(env.db, org)).toBe(2 * big);
  });
});

describe('concurrent writers on five connections', () => {
  test('50 reservations against a limit that fits some: never above it, every call accounted', async () => {
    const org = newOrg();
    const sizes = Array.from({ length: 50 }, (_, i) => 1000 + ((i * 7919) % 1000));
    const limit = 20_000;
    const results = await Promise.allSettled(
      sizes.map((bytes, i) => storeFor(i).reserve(org, `ie-${i}`, bytes, limit)),
    );

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const answers = results.map((r) => (r as PromiseFulfilledResult<ReserveResult>).value);
    const accepted = answers.flatMap((a, i) => (a.ok ? [sizes[i]!] : []));
    const refused = answers.filter((a) => !a.ok);
    expect(accepted.length + refused.length).toBe(50);
    expect(accepted.length).toBeGreaterThan(5);
    expect(refused.length).toBeGreaterThan(5);
    answers.forEach((answer, i) => {
      // A refusal names the limit and a usage that this reservation would indeed overflow.
      if (!answer.ok)
        expect({ limit: answer.limit, over: answer.used + sizes[i]! > limit }).toEqual({ limit, over: true });
    });

    const total = accepted.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(limit);
    // Refused only when it really did not fit: the smallest refused would overflow the final total.
    const smallestRefused = Math.min(...answers.flatMap((a, i) => (a.ok ? [] : [sizes[i]!])));
    expect(total + smallestRefused).toBeGreaterThan(limit);
    expect((await quota.usage(org)).used).toBe(total);
    expect(await recomputeFromLedger(env.db, org, limit)).toBe(total);
    const holdings = await quota.holdings(org);
    expect([...holdings.values()].reduce((a, b) => a + b, 0)).toBe(total);
    expect(holdings.size).toBe(accepted.length);
  });

  test('50 reserves and releases mixed: the head equals the holds and the ledger', async () => {
    const org = newOrg();
    const limit = 30_000;
    // Half the keys hold something before the storm; the storm releases them and reserves new ones.
    for (let i = 0; i < 25; i++) await quota.reserve(org, `old-${i}`, 1000, limit);
    const ops: Promise<unknown>[] = Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? storeFor(i).release(org, `old-${i / 2}`)
        : storeFor(i).reserve(org, `new-${i}`, 500 + i * 10, limit),
    );
    // And a key reserved and released by one caller while all that runs.
    ops.push(
      storeFor(0)
        .reserve(org, 'churn', 100, limit)
        .then(() => storeFor(1).release(org, 'churn')),
    );
    const results = await Promise.allSettled(ops);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

    const holdings = await quota.holdings(org);
    const sum = [...holdings.values()].reduce((a, b) => a + b, 0);
    expect([...holdings.keys()].filter((k) => k.startsWith('old-'))).toEqual([]);
    expect(holdings.has('churn')).toBe(false);
    expect((await quota.usage(org)).used).toBe(sum);
    expect(await recomputeFromLedger(env.db, org, limit)).toBe(sum);
    expect(sum).toBeLessThanOrEqual(limit);
  });

  test('resizes among concurrent reserves and releases: the head equals the holds, a released key stays so', async () => {
    const org = newOrg();
    const limit = 100_000;
    for (let i = 0; i < 10; i++) await quota.reserve(org, `grows-${i}`, 1000, limit);
    await quota.reserve(org, 'gone', 1000, limit);
    const ops: Promise<unknown>[] = [
      // Each key resized twice at once to the same size: charged once.
      ...Array.from({ length: 20 }, (_, i) => storeFor(i).resize(org, `grows-${i % 10}`, 5000 + (i % 10))),
      ...Array.from({ length: 10 }, (_, i) => storeFor(i + 1).reserve(org, `other-${i}`, 700, limit)),
      storeFor(2)
        .release(org, 'gone')
        .then(() => storeFor(3).resize(org, 'gone', 9000)),
    ];
    const results = await Promise.allSettled(ops);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);

    const holdings = await quota.holdings(org);
    for (let i = 0; i < 10; i++) expect(holdings.get(`grows-${i}`)).toBe(5000 + i);
    expect(holdings.has('gone')).toBe(false);
    const sum = [...holdings.values()].reduce((a, b) => a + b, 0);
    expect(sum).toBe(10 * 5000 + 45 + 10 * 700);
    expect((await quota.usage(org)).used).toBe(sum);
    expect(await recomputeFromLedger(env.db, org)).toBe(sum);
    // Released after a resize, a key frees its new size.
    expect(await quota.release(org, 'grows-3')).toMatchObject({ released: true, bytes: 5003 });
  });

  test('concurrent reserves of one key charge it once', async () => {
    const org = newOrg();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => storeFor(i).reserve(org, 'same-ie', 4000, 10_000)),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.filter((r) => r.ok && !r.replayed)).toHaveLength(1);
    expect((await quota.usage(org)).used).toBe(4000);
    expect(await recomputeFromLedger(env.db, org)).toBe(4000);

    const releases = await Promise.all(Array.from({ length: 10 }, (_, i) => storeFor(i).release(org, 'same-ie')));
    expect(releases.filter((r) => r.released)).toHaveLength(1);
    expect((await quota.usage(org)).used).toBe(0);
  });
});

describe('group commit', () => {
  test("one store's concurrent calls share one append, decided in order", async () => {
    const org = newOrg();
    const group = new IeQuotaStore(env.db);
    // The first call appends at once; the seven that arrive meanwhile are decided together next.
    const results = await Promise.all([
      group.reserve(org, 'ie-0', 400, 1000),
      group.reserve(org, 'ie-1', 300, 1000),
      group.reserve(org, 'ie-1', 300, 1000), // the same key again in the batch: charged once
      group.reserve(org, 'ie-2', 400, 1000), // does not fit after ie-0 and ie-1
      group.release(org, 'ie-0'),
      group.reserve(org, 'ie-3', 600, 1000), // fits once ie-0 is released
      group.resize(org, 'ie-1', 350),
      group.release(org, 'never'),
    ]);
    expect(results).toEqual([
      { ok: true, used: 400, limit: 1000, bytes: 400, replayed: false },
      { ok: true, used: 700, limit: 1000, bytes: 300, replayed: false },
      { ok: true, used: 700, limit: 1000, bytes: 300, replayed: true },
      { ok: false, used: 700, limit: 1000 },
      { released: true, bytes: 400, used: 300 },
      { ok: true, used: 900, limit: 1000, bytes: 600, replayed: false },
      { resized: true, used: 950 },
      { released: false, bytes: 0, used: 950 },
    ]);
    const walk = await walkLedger(env.db, org, 1000);
    expect({ entries: walk.entries, charges: walk.charges, used: walk.used }).toEqual({
      entries: 2,
      charges: 5,
      used: 950,
    });
    expect(await quota.holdings(org)).toEqual(
      new Map([
        ['ie-1', 350],
        ['ie-3', 600],
      ]),
    );
  });

  test('a batch entry whose projection was cut short is completed by the next writer', async () => {
    const org = newOrg();
    await quota.reserve(org, 'ie-a', 100, 1000);
    // A writer appended this batch and crashed after projecting only its first hold.
    const at = new Date();
    const ops: QuotaBatchOp[] = [
      { kind: 'reserve', key: 'ie-b', gen: 1, bytes: 200 },
      { kind: 'release', key: 'ie-a', gen: 1, bytes: 100 },
      { kind: 'reserve', key: 'ie-c', gen: 1, bytes: 300 },
    ];
    const id = (seq: number) => `${org}:${String(seq).padStart(12, '0')}`;
    await quota.ledger.insertOne({
      _id: id(2),
      orgId: org,
      seq: 2,
      kind: 'batch',
      key: null,
      gen: 0,
      bytes: 400,
      ops,
      usedAfter: 500,
      limit: 1000,
      at,
    });
    await quota.holds.insertOne({
      _id: `${org}:ie-b:000001:reserve`,
      orgId: org,
      key: 'ie-b',
      gen: 1,
      kind: 'reserve',
      bytes: 200,
      seq: 2,
      at,
    });
    const fresh = new IeQuotaStore(env.db);
    expect(await fresh.reserve(org, 'ie-c', 300, 1000)).toMatchObject({ ok: true, replayed: true, used: 500 });
    expect(await fresh.release(org, 'ie-a')).toMatchObject({ released: false, used: 500 });
    expect(await fresh.holdings(org)).toEqual(
      new Map([
        ['ie-b', 200],
        ['ie-c', 300],
      ]),
    );
    expect(await recomputeFromLedger(env.db, org, 1000)).toBe(500);
  });
});

describe('reconcile and compaction', () => {
  test('reconcile repairs holds without IEs, IEs without holds, wrong sizes and a corrupt total', async () => {
    const org = newOrg();
    await quota.reserve(org, 'ie-kept', 1000, 10_000);
    await quota.reserve(org, 'ie-gone', 2000, 10_000); // its IE was deleted but the release was lost
    await quota.reserve(org, 'ie-grown', 500, 10_000); // its IE now has larger bundles
    // A corrupt head: an entry written outside the protocol that claims 777 bytes more.
    const head = await quota.usage(org);
    await quota.ledger.insertOne({
      _id: `${org}:${String(head.seq + 1).padStart(12, '0')}`,
      orgId: org,
      seq: head.seq + 1,
      kind: 'adjust',
      key: null,
      gen: 0,
      bytes: 777,
      usedAfter: head.used + 777,
      limit: null,
      at: new Date(),
    });

    // The truth from the IE collection: 'ie-lost' was stored without a reservation.
    const actual = new Map([
      ['ie-kept', 1000],
      ['ie-grown', 900],
      ['ie-lost', 300],
    ]);
    const report = await quota.reconcile(org, actual, { minHoldAgeMs: 0 });
    expect(report).toMatchObject({
      usedBefore: 4277,
      usedAfter: 2200,
      drift: 4277 - 2200,
      released: [{ key: 'ie-gone', bytes: 2000 }],
      charged: [{ key: 'ie-lost', bytes: 300 }],
      resized: [{ key: 'ie-grown', from: 500, to: 900 }],
      adjusted: -777,
    });
    expect(await quota.holdings(org)).toEqual(actual);
    expect(await recomputeFromLedger(env.db, org)).toBe(2200);

    // A second pass finds nothing to do.
    expect(await quota.reconcile(org, actual, { minHoldAgeMs: 0 })).toMatchObject({
      drift: 0,
      released: [],
      charged: [],
      resized: [],
      adjusted: 0,
    });
  });

  test('reconcile leaves young holds alone (their IE may be being written)', async () => {
    const org = newOrg();
    await quota.reserve(org, 'ie-in-flight', 100, 1000);
    const report = await quota.reconcile(org, new Map());
    expect(report.skippedYoung).toEqual(['ie-in-flight']);
    expect((await quota.usage(org)).used).toBe(100);
  });

  test('compaction bounds the ledger and keeps the total and every hold', async () => {
    const org = newOrg();
    const compacting = new IeQuotaStore(env.db, { compactGraceMs: 0, compactKeep: 3, compactEvery: 10 });
    for (let i = 0; i < 30; i++) {
      await compacting.reserve(org, `ie-${i}`, 100, 10_000);
      if (i % 3 === 0) await compacting.release(org, `ie-${i}`);
    }
    await compacting.compact(org);
    const left = await compacting.ledger.countDocuments({ orgId: org });
    expect(left).toBeLessThanOrEqual(4);
    const usage = await compacting.usage(org);
    expect(usage.used).toBe(20 * 100);
    expect(usage.seq).toBe(40);
    // A fresh store (no cached head) finds the head, and the holds still answer per key.
    expect(await quota.reserve(org, 'ie-1', 100, 10_000)).toMatchObject({ ok: true, replayed: true });
    expect(await quota.release(org, 'ie-0')).toMatchObject({ released: false });
    expect(await quota.release(org, 'ie-2')).toMatchObject({ released: true, bytes: 100, used: 1900 });
    expect((await quota.usage(org)).seq).toBe(41);
  });

  test('forget drops the holds of a key released long ago, and of no other', async () => {
    const org = newOrg();
    const forgetting = new IeQuotaStore(env.db, { compactGraceMs: 0 });
    await forgetting.reserve(org, 'ie-a', 100, 1000);
    await forgetting.reserve(org, 'ie-b', 100, 1000);
    expect(await forgetting.forget(org, 'ie-a')).toBe(false);
    await forgetting.release(org, 'ie-a');
    expect(await forgetting.forget(org, 'ie-a')).toBe(true);
    expect(await forgetting.holds.countDocuments({ orgId: org, key: 'ie-a' })).toBe(0);
    expect(await quota.holdings(org)).toEqual(new Map([['ie-b', 100]]));
  });
});
