/**
 * `util:FunctionSleep` (Make's "Sleep"): the run waits `duration` seconds, 1 to 300 (Make's
 * bounds), then passes an empty bundle on. The wait is a durable Temporal timer in the workflow,
 * not an activity that blocks a worker slot: a worker restart during it loses nothing, and the
 * history shows the timer.
 */
import { numberFrom } from './flow-control';

export const FUNCTION_SLEEP = 'util:FunctionSleep';
export const SLEEP_MIN_SECONDS = 1;
export const SLEEP_MAX_SECONDS = 300;

/** The wait in milliseconds from the mapped `duration` (a number or its text), or why it is not one. */
export function sleepDurationMs(mapped: Record<string, unknown>): { ms: number } | { error: string } {
  const seconds = numberFrom(mapped.duration);
  if (
    seconds === undefined ||
    !Number.isInteger(seconds) ||
    seconds < SLEEP_MIN_SECONDS ||
    seconds > SLEEP_MAX_SECONDS
  ) {
    return {
      error: `mapper.duration: the delay is a whole number of seconds from ${SLEEP_MIN_SECONDS} to ${SLEEP_MAX_SECONDS} (got ${JSON.stringify(mapped.duration ?? null)})`,
    };
  }
  return { ms: seconds * 1000 };
}
