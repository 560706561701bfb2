/**
 * The API's own clients of the store and Temporal, built to fail fast: while either is unreachable
 * the API answers 503 with Retry-After within seconds (errors.ts), where the worker's patient
 * clients would wait and retry for half a minute. The worker keeps its own clients.
 */
import type { Client } from '@temporalio/client';
import type { Keyring } from '../crypto/keyring';
import { openStore, type Store } from '../store';
import { ImexClient } from '../temporal/client';
import { withCallDeadline } from '../temporal/unavailable';

/** The longest shutdown waits for a coordinator wake-up in flight (a call's deadline is 10 s). */
const WAKE_SETTLE_MS = 12_000;

export interface FailFastApiClients {
  store: Store;
  /** Every method runs under a deadline on `temporal`'s connection. */
  imex: ImexClient;
  close(): Promise<void>;
}

/** `temporal` should be a client whose connection retries briefly (`failFastRetry`). */
export async function openFailFastApiClients(input: {
  mongoUrl: string;
  dbName: string;
  temporal: Client;
  taskQueue: string;
  webhookQueueCap?: number;
  maxConcurrentRuns?: number;
  callTimeoutMs?: number;
  /** The keys that seal stored user data (the worker's store uses the same). */
  keyring?: Keyring;
}): Promise<FailFastApiClients> {
  const store = await openStore(input.mongoUrl, input.dbName, {
    failFast: true,
    ...(input.keyring ? { keyring: input.keyring } : {}),
  });
  const imex = withCallDeadline(
    new ImexClient({
      client: input.temporal,
      store,
      taskQueue: input.taskQueue,
      ...(input.webhookQueueCap === undefined ? {} : { webhookQueueCap: input.webhookQueueCap }),
      ...(input.maxConcurrentRuns === undefined ? {} : { maxConcurrentRuns: input.maxConcurrentRuns }),
    }),
    input.temporal,
    input.callTimeoutMs,
  );
  return {
    store,
    imex,
    close: async () => {
      // Wake-ups still trying stop (maintenance wakes those queues); one in flight may finish
      // before the Temporal connection closes under it.
      imex.coordinatorWake.stop();
      await imex.coordinatorWake.settled(WAKE_SETTLE_MS);
      await store.close();
    },
  };
}
