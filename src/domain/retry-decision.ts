/**
 * Pure decisions taken when a module fails: retry inside the run (and after how long), and
 * what to do once retrying stops. The module activity turns them into `ApplicationFailure`
 * with `nextRetryDelay` or `nonRetryable`: a Temporal RetryPolicy is fixed before the error is
 * known, so the category has to decide (DESIGN.md §5).
 */
import type { ErrorCategory } from './errors';
import type { ParkOutcome, PolicyTable } from './policy';

export type InRunRetryDecision =
  | { kind: 'retry'; delayMs: number }
  | { kind: 'stop'; reason: 'not-retryable' | 'attempts-exhausted' | 'retry-after-too-long' };

export interface InRunRetryInput {
  category: ErrorCategory;
  /** The attempt that just failed, 1-based like Temporal's `activityInfo().attempt`. */
  attempt: number;
  table: PolicyTable;
  /** The service's Retry-After, when it sent one. */
  retryAfterMs?: number;
}

export function decideInRunRetry({ category, attempt, table, retryAfterMs }: InRunRetryInput): InRunRetryDecision {
  const policy = table[category].inRun;
  if (!policy.retry) return { kind: 'stop', reason: 'not-retryable' };
  if (attempt >= policy.maxAttempts) return { kind: 'stop', reason: 'attempts-exhausted' };

  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    // Honour the service's wish rather than hammering it early; if it asks for longer than a
    // run should wait, stop and let the incomplete execution's schedule retry later.
    if (retryAfterMs > policy.maxRetryAfterMs) return { kind: 'stop', reason: 'retry-after-too-long' };
    return { kind: 'retry', delayMs: Math.ceil(retryAfterMs) };
  }

  const exponential = policy.initialIntervalMs * Math.pow(policy.backoff, Math.max(0, attempt - 1));
  return { kind: 'retry', delayMs: Math.min(Math.round(exponential), policy.maxIntervalMs) };
}

export interface ParkOutcomeInput {
  /** Make: an error on the first module never stores an incomplete execution. */
  isFirstModule: boolean;
  /** The scenario's `metadata.scenario.dlq` ("Allow storing of incomplete executions"). */
  dlqEnabled: boolean;
  table: PolicyTable;
}

export function parkOutcome(
  category: ErrorCategory,
  { isFirstModule, dlqEnabled, table }: ParkOutcomeInput,
): ParkOutcome {
  if (isFirstModule || !dlqEnabled) return 'fail';
  return table[category].outcome;
}
