/**
 * The auto-retry schedule of incomplete executions, as data (DESIGN.md §5): the delay after
 * the previous attempt, one step per attempt, automatic or manual.
 */

const second = 1_000;
const minute = 60 * second;
const hour = 60 * minute;

export type RetrySchedule = readonly number[];

/** Make's schedule: +1 min, +10, +10, +30, +30, +30, +3 h, +3 h (8 attempts, last at T+7h51m). */
export const makeRetrySchedule: RetrySchedule = [
  1 * minute,
  10 * minute,
  10 * minute,
  30 * minute,
  30 * minute,
  30 * minute,
  3 * hour,
  3 * hour,
];

/**
 * Make's exponential backoff of the whole scenario (reference §2.5, help.make.com/exponential-backoff):
 * a scheduled run that ends with status error (nothing stored as an IE: the first module failed,
 * or storing is off) because of a transient error is run again after +1 min, 2, 5, 10 min, 1 h,
 * 3 h, 12 h, 24 h; when the 8th rerun fails too, the scenario is deactivated.
 */
export const makeRerunSchedule: RetrySchedule = [
  1 * minute,
  2 * minute,
  5 * minute,
  10 * minute,
  1 * hour,
  3 * hour,
  12 * hour,
  24 * hour,
];

/** Make: the errors that rerun the scenario on that schedule (the same as those that auto-retry an IE). */
export const rerunErrorCategories = ['ConnectionError', 'RateLimitError', 'ModuleTimeoutError'] as const;

export function rerunsScenario(errorType: string | undefined): boolean {
  return errorType !== undefined && (rerunErrorCategories as readonly string[]).includes(errorType);
}

/**
 * The delay before the next attempt, given how many attempts were made since the IE was
 * stored; undefined once the schedule is exhausted (the IE then waits for a person).
 */
export function delayForAttempt(schedule: RetrySchedule, attemptsSoFar: number): number | undefined {
  if (!Number.isInteger(attemptsSoFar) || attemptsSoFar < 0) return undefined;
  return schedule[attemptsSoFar];
}

const units: Record<string, number> = { ms: 1, s: second, m: minute, h: hour, d: 24 * hour };

/** `"90s"`, `"10m"`, `"3h"`, `"250ms"` or a plain number of milliseconds → ms; undefined if not one. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const ms = Math.round(amount * (units[match[2] ?? 'ms'] ?? 1));
  return Number.isFinite(ms) ? ms : undefined;
}
