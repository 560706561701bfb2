/**
 * The webhook queue and its idempotency keys under concurrency, on the real store (FerretDB, whose
 * updates are not atomic): a burst of payloads from several "API processes" (separate connections
 * and store objects) gets dense, unique sequence numbers and loses none; the cap admits exactly
 * `cap` payloads however many arrive at once; one key is claimed by exactly one request.
 */
import { MongoClient } from 'mongodb';
import { WebhookIdempotencyStore, WebhookQueueStore, type EnqueueResult } from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
let clients: MongoClient[] = [];
/** Three processes' worth of queue stores, each with its own connection. */
let queues: WebhookQueueStore[] = [];
let keys: WebhookIdempotencyStore[] = [];
let nextScenario = 9_000_001;

beforeAll(async () => {
  env = await openTestEnv();
  clients = await Promise.all(
    Array.from({ length: 3 }, () => MongoClient.connect(process.env.IMEX_TEST_MONGO_URL!, { maxPoolSize: 20 })),
  );
  queues = clients.map((client) => new WebhookQueueStore(client.db(env.db.databaseName)));
  keys = clients.map((client) => new WebhookIdempotencyStore(client.db(env.db.databaseName)));
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await env.close();
});

/** `n` payloads posted at once, spread over the stores. */
function burst(scenarioId: number, n: number, cap: number): Promise<EnqueueResult[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      queues[i % queues.length]!.enqueue({ orgId: 1, scenarioId, cap, data: JSON.stringify({ i }) }),
    ),
  );
}

async function storedSeqs(scenarioId: number): Promise<{ seq: number; data?: string; executionId: string }[]> {
  return queues[0]!.entries.find({ scenarioId }).sort({ seq: 1 }).toArray();
}

test('a burst from three processes: every payload queued once, numbers dense and unique', async () => {
  const scenarioId = nextScenario++;
  const results = await burst(scenarioId, 300, 10_000);
  expect(results.every((r) => r.accepted)).toBe(true);
  const seqs = results.map((r) => (r.accepted ? r.seq : 0)).sort((a, b) => a - b);
  expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  const stored = await storedSeqs(scenarioId);
  expect(stored.map((e) => e.seq)).toEqual(seqs);
  // Each payload is in the queue once, under the execution id its answer named.
  expect(new Set(stored.map((e) => e.data)).size).toBe(300);
  const answered = new Map(results.map((r) => (r.accepted ? [r.seq, r.executionId] : [0, ''])));
  for (const entry of stored) expect(entry.executionId).toBe(answered.get(entry.seq));
});

test('the cap is exact under concurrency: N at once against cap C accepts exactly C', async () => {
  const scenarioId = nextScenario++;
  const results = await burst(scenarioId, 250, 40);
  const accepted = results.filter((r) => r.accepted);
  expect(accepted).toHaveLength(40);
  expect(results.filter((r) => !r.accepted)).toHaveLength(210);
  expect((await storedSeqs(scenarioId)).map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(await queues[0]!.queued(scenarioId)).toBe(40);

  // Once 15 are handed to runs, exactly 15 more fit.
  await queues[1]!.markConsumedThrough(scenarioId, 15);
  const more = await burst(scenarioId, 100, 40);
  expect(more.filter((r) => r.accepted)).toHaveLength(15);
  expect(await queues[0]!.queued(scenarioId)).toBe(40);
});

test('entries marked started out of order: the cursor never passes one still waiting, and the cap follows it', async () => {
  const scenarioId = nextScenario++;
  await burst(scenarioId, 6, 6);
  const cursor = async () => (await queues[0]!.cursors.findOne({ _id: scenarioId }))?.consumedThrough ?? 0;
  // Two dispatchers in two processes: one started 2 and 3, the other has not marked 1 yet.
  await queues[1]!.markStarted(scenarioId, [2, 3]);
  expect(await cursor()).toBe(0);
  expect((await queues[0]!.readWaiting(scenarioId, 10)).map((e) => e.seq)).toEqual([1, 4, 5, 6]);
  expect((await burst(scenarioId, 3, 6)).filter((r) => r.accepted)).toHaveLength(0); // 6 wait by the cursor
  await queues[2]!.markStarted(scenarioId, [1]);
  expect(await cursor()).toBe(3);
  await queues[0]!.markStarted(scenarioId, [5]);
  expect(await cursor()).toBe(3);
  expect((await queues[1]!.readWaiting(scenarioId, 10)).map((e) => e.seq)).toEqual([4, 6]);
  // Marked again (a retried delivery): nothing moves back, nothing else is marked.
  await queues[1]!.markStarted(scenarioId, [1, 2]);
  expect(await cursor()).toBe(3);
  expect((await burst(scenarioId, 5, 6)).filter((r) => r.accepted)).toHaveLength(3); // seq 7..9
  expect(await queues[0]!.queued(scenarioId)).toBe(5); // 4, 6, 7, 8, 9
  // Payloads of marked entries are gone; those still waiting keep theirs.
  const stored = await storedSeqs(scenarioId);
  expect(stored.filter((e) => e.data !== undefined).map((e) => e.seq)).toEqual([4, 6, 7, 8, 9]);
});

test('a writer with a stale head does not land among deleted entries', async () => {
  const scenarioId = nextScenario++;
  const stale = new WebhookQueueStore(env.db);
  expect((await stale.enqueue({ orgId: 1, scenarioId, cap: 10_000 })).accepted).toBe(true); // knows head 1
  await burst(scenarioId, 300, 10_000);
  await queues[0]!.markConsumedThrough(scenarioId, 301); // entries below 201 are deleted
  const late = await stale.enqueue({ orgId: 1, scenarioId, cap: 10_000, data: '"late"' });
  expect(late).toMatchObject({ accepted: true, seq: 302 });
  expect(await queues[0]!.readAfter(scenarioId, 301, 10)).toEqual([
    expect.objectContaining({ seq: 302, data: '"late"' }),
  ]);
});

test('an idempotency key is claimed by one request; the others see it in flight, then accepted', async () => {
  const hookId = `hook-${Date.now()}`;
  const claims = await Promise.all(
    Array.from({ length: 30 }, (_, i) => keys[i % keys.length]!.claim(hookId, 'k1', 7, 'fp')),
  );
  const mine = claims.filter((c) => c.state === 'claimed');
  expect(mine).toHaveLength(1);
  expect(claims.filter((c) => c.state === 'in-flight')).toHaveLength(29);
  const executionId = (mine[0] as { executionId: string }).executionId;
  await keys[0]!.complete(hookId, 'k1', 12);
  expect(await keys[2]!.claim(hookId, 'k1', 7, 'fp')).toEqual({
    state: 'accepted',
    scenarioId: 7,
    executionId,
    seq: 12,
  });
  // Another hook's key of the same name is its own.
  expect((await keys[1]!.claim(`${hookId}-other`, 'k1', 8, 'fp')).state).toBe('claimed');
  // The key with another payload: refused, in flight or accepted alike.
  expect(await keys[2]!.claim(hookId, 'k1', 7, 'another')).toEqual({ state: 'reused' });
  await keys[0]!.claim(hookId, 'k2', 7, 'fp');
  expect(await keys[1]!.claim(hookId, 'k2', 7, 'another')).toEqual({ state: 'reused' });
});

test('a refused payload frees its key; a claim whose request died is taken over with the same execution id', async () => {
  const hookId = `hook-${Date.now()}-b`;
  const first = await keys[0]!.claim(hookId, 'refused', 7, 'fp');
  if (first.state !== 'claimed') throw new Error('expected a claim');
  await keys[0]!.release(hookId, 'refused', first.claimedAt);
  expect((await keys[1]!.claim(hookId, 'refused', 7, 'fp')).state).toBe('claimed');

  const dead = await keys[0]!.claim(hookId, 'dead', 7, 'fp', new Date(Date.now() - 60_000));
  if (dead.state !== 'claimed') throw new Error('expected a claim');
  const takeover = await keys[1]!.claim(hookId, 'dead', 7, 'fp');
  expect(takeover).toMatchObject({ state: 'claimed', executionId: dead.executionId });

  // Maintenance forgets keys past the retention.
  expect(await keys[0]!.purgeOlderThan(new Date(Date.now() - 30_000))).toBeGreaterThanOrEqual(1);
  expect((await keys[0]!.claim(hookId, 'dead', 7, 'fp')).state).toBe('claimed');
});

test("a payload accepted with tracing on keeps its request's traceparent; one batch mixes both, none lost", async () => {
  const scenarioId = nextScenario++;
  const traceparent = (i: number) =>
    `00-${'4bf92f3577b34da6a3ce929d0e0e47'}${String(i).padStart(2, '0')}-00f067aa0ba902b7-01`;
  // One process, at once: the payloads are written together (group commit), traced or not.
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      queues[0]!.enqueue({
        orgId: 1,
        scenarioId,
        cap: 10_000,
        data: JSON.stringify({ i }),
        ...(i % 2 === 0 ? { traceparent: traceparent(i) } : {}),
      }),
    ),
  );
  expect(results.every((r) => r.accepted)).toBe(true);
  const read = await queues[1]!.readAfter(scenarioId, 0, 100);
  expect(read.map((p) => JSON.parse(p.data ?? '{}').i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  for (const payload of read) {
    const i = JSON.parse(payload.data ?? '{}').i as number;
    expect(payload.traceparent).toBe(i % 2 === 0 ? traceparent(i) : undefined);
  }
});
