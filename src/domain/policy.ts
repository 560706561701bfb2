/**
 * The policy table: what each error category does to a run (DESIGN.md §5), as data.
 *
 * `inRun` decides quick retries of the failing module inside the run; `outcome` decides what
 * happens when those stop: park an incomplete execution that retries itself, park one that
 * waits for a person, or fail the run. A scenario may override any row.
 */
import type { z } from 'zod';
import type { policyOverridesSchema } from './schemas/policy';
import { errorCategories, type ErrorCategory } from './errors';

export const parkOutcomes = ['park-auto-retry', 'park-manual', 'fail'] as const;
export type ParkOutcome = (typeof parkOutcomes)[number];

export interface InRunRetryPolicy {
  /** Whether the module is retried inside the run at all. */
  retry: boolean;
  /** Total attempts including the first, as Temporal's `maximumAttempts`. */
  maxAttempts: number;
  /** Delay before the second attempt; later delays grow by `backoff`. */
  initialIntervalMs: number;
  /** Multiplier between consecutive delays. */
  backoff: number;
  /** Longest single delay between in-run attempts. */
  maxIntervalMs: number;
  /**
   * Longest Retry-After the run waits for. A service that asks for more is left alone: the run
   * stops retrying and the incomplete execution's schedule takes over.
   */
  maxRetryAfterMs: number;
}

export interface CategoryPolicy {
  inRun: InRunRetryPolicy;
  outcome: ParkOutcome;
}

export type PolicyTable = Record<ErrorCategory, CategoryPolicy>;

const quickRetries: InRunRetryPolicy = {
  retry: true,
  maxAttempts: 3,
  initialIntervalMs: 1_000,
  backoff: 2,
  maxIntervalMs: 30_000,
  maxRetryAfterMs: 60_000,
};

// The numbers stay, so a scenario that turns `retry` on for a category gets the usual quick retries.
const noRetries: InRunRetryPolicy = { ...quickRetries, retry: false };

const autoRetried: CategoryPolicy = { inRun: quickRetries, outcome: 'park-auto-retry' };
const parkedForAPerson: CategoryPolicy = { inRun: noRetries, outcome: 'park-manual' };
const failsTheRun: CategoryPolicy = { inRun: noRetries, outcome: 'fail' };

/**
 * Make's behaviour (Adobe's list, which keeps OutOfSpaceError auto-retried; DESIGN.md §5 says
 * why). Rows are listed explicitly so the table reads like the design page.
 */
export const defaultPolicyTable: PolicyTable = {
  ConnectionError: autoRetried,
  RateLimitError: autoRetried,
  ModuleTimeoutError: autoRetried,
  OutOfSpaceError: autoRetried,
  DataError: parkedForAPerson,
  InvalidConfigurationError: parkedForAPerson,
  InvalidAccessTokenError: parkedForAPerson,
  UnexpectedError: parkedForAPerson,
  MaxFileSizeExceededError: parkedForAPerson,
  MaxResultsExceededError: parkedForAPerson,
  IncompleteDataError: failsTheRun,
  DuplicateDataError: failsTheRun,
  RuntimeError: failsTheRun,
  InconsistencyError: failsTheRun,
  BundleValidationError: failsTheRun,
};

/** Per-scenario overrides: any subset of categories, any subset of fields (schemas/policy.ts). */
export type PolicyOverrides = z.infer<typeof policyOverridesSchema>;

/** The table with `overrides` merged over `base` (field by field; `base` is not changed). */
export function mergePolicyTable(base: PolicyTable, overrides: PolicyOverrides | undefined): PolicyTable {
  const merged = { ...base };
  for (const category of errorCategories) {
    const override = overrides?.[category];
    if (!override) continue;
    const row = base[category];
    merged[category] = {
      inRun: { ...row.inRun, ...definedFields(override.inRun ?? {}) },
      outcome: override.outcome ?? row.outcome,
    };
  }
  return merged;
}

function definedFields<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
