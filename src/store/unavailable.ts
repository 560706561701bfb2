/**
 * The store's side of "answer 503 fast while it is down": the driver options of a client that
 * gives up within seconds, and which driver errors mean "unreachable" (as opposed to a bug or a
 * refused write). Only the API uses the fail-fast client: the worker's activities keep the
 * driver's patient defaults and retry through outages.
 */
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type MongoClientOptions,
} from 'mongodb';

/**
 * Server selection (no server reachable) and connecting give up after 2 s; a server that accepted
 * the connection but does not answer is given 10 s per operation.
 */
export const failFastStoreOptions: MongoClientOptions = {
  serverSelectionTimeoutMS: 2_000,
  connectTimeoutMS: 2_000,
  socketTimeoutMS: 10_000,
  waitQueueTimeoutMS: 2_000,
};

/** Whether the error says the store is unreachable (down, restarting, network), not that a request was wrong. */
export function isStoreUnavailable(error: unknown): boolean {
  return (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError || // includes MongoNetworkTimeoutError
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError
  );
}
