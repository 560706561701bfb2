/**
 * The SDK's gRPC retry, made safe to close: a retry already scheduled when the connection closes
 * would open a call on the closed channel from a timer and throw outside any caller (the
 * process's uncaught exception). `close()` stops new retries, lets the scheduled ones fire on the
 * still-open channel (they fail or finish, and are not retried again), then closes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type BackoffOptions,
  type Connection,
} from '@temporalio/client';

export interface ClosableRetry {
  /** For `Connection.connect({ interceptors })`. */
  interceptors: ReturnType<typeof makeGrpcRetryInterceptor>[];
  /** Closes `connection` once no retry of it is still scheduled. */
  close(connection: Connection): Promise<void>;
}

export function closableRetry(backoff: Partial<BackoffOptions> = {}): ClosableRetry {
  const base = defaultGrpcRetryOptions(backoff);
  let closing = false;
  /** When the last retry scheduled so far fires. */
  let retriesDueAt = 0;
  const interceptor = makeGrpcRetryInterceptor({
    retryableDecider: (attempt, status) => !closing && base.retryableDecider(attempt, status),
    delayFunction: (attempt, status) => {
      const delayMs = base.delayFunction(attempt, status);
      retriesDueAt = Math.max(retriesDueAt, Date.now() + delayMs);
      return delayMs;
    },
  });
  return {
    interceptors: [interceptor],
    close: async (connection) => {
      closing = true;
      const waitMs = retriesDueAt - Date.now();
      // The margin lets the timer's callback open its call before the channel goes.
      if (waitMs > -50) await sleep(Math.max(0, waitMs) + 50);
      await connection.close();
    },
  };
}
