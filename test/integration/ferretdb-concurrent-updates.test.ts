/**
 * Hundreds of updates at once never stall the store (issue 15: the outage storm's recovery).
 *
 * FerretDB v1.24.2 updated each matching document while the query that found it was still open:
 * the query held one of the database's 100 SQLite connections and the update's transaction asked
 * for a second. With 100 such updates at once, every connection was held by a query whose update
 * waited for a connection, and the database never answered again, reads included (goroutine dump:
 * 100 open rows, 99 `BeginTx` waiting). imex's FerretDB closes the read before it writes
 * (src/stack/ferretdb/ferretdb-read-then-write.patch). On MongoDB this passes as it is.
 */
import { MongoClient } from 'mongodb';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
beforeAll(async () => (env = await openTestEnv()));
afterAll(() => env?.close());

/** More updates at once than FerretDB's pool has connections (100 per database). */
const AT_ONCE = 300;
const ROUNDS = 12;
/** A round not answered in this long is a stalled store, not a slow one (a round takes seconds). */
const STALL_MS = 90_000;

async function answered<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${STALL_MS / 1000} s: the store stopped answering`)),
      STALL_MS,
    );
  });
  try {
    return await Promise.race([work, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

test('hundreds of concurrent updateOne and findOneAndUpdate calls are all answered and applied once', async () => {
  // A client of its own whose pool sends every update at once (the shared one keeps 100).
  const client = await MongoClient.connect(process.env.IMEX_TEST_MONGO_URL as string, { maxPoolSize: AT_ONCE + 10 });
  const counters = client.db(env.db.databaseName).collection<{ _id: string; n: number }>('counters');
  const ids = Array.from({ length: AT_ONCE }, (_, i) => `c${i}`);
  await counters.insertMany(ids.map((_id) => ({ _id, n: 0 })));
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      await answered(
        Promise.all(
          ids.map((_id, i) =>
            // Two conditions, as imex's lease updates (`_id` and its holder): FerretDB reads the
            // table up to the match, so each update holds its read a while, as under load.
            i % 2 === 0
              ? counters.updateOne({ _id, n: { $gte: 0 } }, { $inc: { n: 1 } })
              : counters.findOneAndUpdate({ _id, n: { $gte: 0 } }, { $inc: { n: 1 } }),
          ),
        ),
        `round ${round} of ${AT_ONCE} updates at once`,
      );
    }
  } finally {
    // Closing the connections also frees a stalled server's requests (they end with their connection).
    await client.close(true);
  }
  const after = await env.db.collection<{ _id: string; n: number }>('counters').find().toArray();
  expect(after).toHaveLength(AT_ONCE);
  expect(after.filter((doc) => doc.n !== ROUNDS)).toEqual([]);
}, 600_000);
