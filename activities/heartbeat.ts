/**
 * Heartbeats while an activity runs, so that a worker that dies (SIGKILL, a lost machine) is
 * noticed within the heartbeat timeout and the activity is retried elsewhere, instead of after
 * its start-to-close timeout (src/domain/activity-timeouts.ts, docs/reliability.md). The callers'
 * proxies set `heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS`. Heartbeats also deliver
 * cancellation (the module's abort signal).
 *
 * Local activities cannot heartbeat (a lost worker fails their workflow task instead), and a
 * function called outside an activity (tests) just runs.
 */
import { Context } from '@temporalio/activity';
import { ACTIVITY_HEARTBEAT_INTERVAL_MS } from '../src/domain';

export function heartbeating<Args extends unknown[], Result>(
  fn: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  return async (...args: Args) => {
    const activity = currentActivity();
    if (!activity || activity.info.isLocal) return fn(...args);
    const timer = setInterval(() => activity.heartbeat(), ACTIVITY_HEARTBEAT_INTERVAL_MS);
    try {
      return await fn(...args);
    } finally {
      clearInterval(timer);
    }
  };
}

/** Every function of `activities` heartbeating while it runs. */
export function allHeartbeating<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      heartbeating(fn as (...args: unknown[]) => Promise<unknown>),
    ]),
  ) as unknown as T;
}

function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
