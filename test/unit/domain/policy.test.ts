import {
  decideInRunRetry,
  defaultPolicyTable,
  errorCategories,
  mergePolicyTable,
  parkOutcome,
  policyOverridesSchema,
  type ErrorCategory,
} from '../../../src/domain';

const table = defaultPolicyTable;
const autoRetried: ErrorCategory[] = ['ConnectionError', 'RateLimitError', 'ModuleTimeoutError', 'OutOfSpaceError'];
const manual: ErrorCategory[] = [
  'DataError',
  'InvalidConfigurationError',
  'InvalidAccessTokenError',
  'UnexpectedError',
  'MaxFileSizeExceededError',
  'MaxResultsExceededError',
];
const failing: ErrorCategory[] = [
  'IncompleteDataError',
  'DuplicateDataError',
  'RuntimeError',
  'InconsistencyError',
  'BundleValidationError',
];

describe('the policy table', () => {
  it('has a row for each of the 15 categories, and only those', () => {
    expect(errorCategories).toHaveLength(15);
    expect(Object.keys(table).sort()).toEqual([...errorCategories].sort());
    expect([...autoRetried, ...manual, ...failing].sort()).toEqual([...errorCategories].sort());
  });

  it.each(autoRetried)('retries %s in the run (3 attempts from 1 s, doubling), then parks it with auto-retry', (c) => {
    expect(table[c]).toEqual({
      inRun: expect.objectContaining({ retry: true, maxAttempts: 3, initialIntervalMs: 1000, backoff: 2 }),
      outcome: 'park-auto-retry',
    });
  });

  it.each(manual)('does not retry %s in the run and parks it for a person', (c) => {
    expect(table[c].inRun.retry).toBe(false);
    expect(table[c].outcome).toBe('park-manual');
  });

  it.each(failing)('does not retry %s and fails the run', (c) => {
    expect(table[c].inRun.retry).toBe(false);
    expect(table[c].outcome).toBe('fail');
  });
});

describe('policy overrides', () => {
  it('merges a scenario override field by field over the defaults without changing them', () => {
    const overrides = policyOverridesSchema.parse({
      DuplicateDataError: { outcome: 'park-manual' },
      ConnectionError: { inRun: { maxAttempts: 5 } },
    });
    const merged = mergePolicyTable(table, overrides);
    expect(merged.DuplicateDataError.outcome).toBe('park-manual');
    expect(merged.ConnectionError.inRun).toEqual({ ...table.ConnectionError.inRun, maxAttempts: 5 });
    expect(merged.ConnectionError.outcome).toBe('park-auto-retry');
    expect(table.DuplicateDataError.outcome).toBe('fail');
    expect(table.ConnectionError.inRun.maxAttempts).toBe(3);
  });

  it('rejects overrides for unknown categories, unknown fields and bad values', () => {
    expect(policyOverridesSchema.safeParse({ NoSuchError: { outcome: 'fail' } }).success).toBe(false);
    expect(policyOverridesSchema.safeParse({ DataError: { outcome: 'explode' } }).success).toBe(false);
    expect(policyOverridesSchema.safeParse({ DataError: { inRun: { maxAttempts: 0 } } }).success).toBe(false);
    expect(policyOverridesSchema.safeParse({ DataError: { inRun: { retries: 2 } } }).success).toBe(false);
  });
});

describe('decideInRunRetry', () => {
  it('retries a ConnectionError after 1 s, then 2 s, then stops at the third attempt', () => {
    const decide = (attempt: number) => decideInRunRetry({ category: 'ConnectionError', attempt, table });
    expect(decide(1)).toEqual({ kind: 'retry', delayMs: 1000 });
    expect(decide(2)).toEqual({ kind: 'retry', delayMs: 2000 });
    expect(decide(3)).toEqual({ kind: 'stop', reason: 'attempts-exhausted' });
  });

  it('never retries a DataError in the run', () => {
    expect(decideInRunRetry({ category: 'DataError', attempt: 1, table })).toEqual({
      kind: 'stop',
      reason: 'not-retryable',
    });
  });

  it("waits for a RateLimitError's Retry-After instead of the exponential delay", () => {
    expect(decideInRunRetry({ category: 'RateLimitError', attempt: 1, table, retryAfterMs: 7_000 })).toEqual({
      kind: 'retry',
      delayMs: 7_000,
    });
    expect(decideInRunRetry({ category: 'RateLimitError', attempt: 2, table, retryAfterMs: 0 })).toEqual({
      kind: 'retry',
      delayMs: 0,
    });
  });

  it('stops and leaves it to the IE schedule when Retry-After is longer than a run should wait', () => {
    const tooLong = table.RateLimitError.inRun.maxRetryAfterMs + 1;
    expect(decideInRunRetry({ category: 'RateLimitError', attempt: 1, table, retryAfterMs: tooLong })).toEqual({
      kind: 'stop',
      reason: 'retry-after-too-long',
    });
  });

  it('does not let a Retry-After buy attempts beyond the maximum', () => {
    expect(decideInRunRetry({ category: 'RateLimitError', attempt: 3, table, retryAfterMs: 1 })).toEqual({
      kind: 'stop',
      reason: 'attempts-exhausted',
    });
  });

  it('retries a category that a scenario turned retry on for, with the usual numbers', () => {
    const eager = mergePolicyTable(table, { DataError: { inRun: { retry: true } } });
    expect(decideInRunRetry({ category: 'DataError', attempt: 1, table: eager })).toEqual({
      kind: 'retry',
      delayMs: 1000,
    });
    expect(decideInRunRetry({ category: 'DataError', attempt: 3, table: eager })).toEqual({
      kind: 'stop',
      reason: 'attempts-exhausted',
    });
  });

  it('caps the exponential delay at maxIntervalMs', () => {
    const patient = mergePolicyTable(table, { ConnectionError: { inRun: { maxAttempts: 20, maxIntervalMs: 5_000 } } });
    expect(decideInRunRetry({ category: 'ConnectionError', attempt: 10, table: patient })).toEqual({
      kind: 'retry',
      delayMs: 5_000,
    });
  });
});

describe('parkOutcome', () => {
  const dlqOn = { isFirstModule: false, dlqEnabled: true, table };

  it('parks a ConnectionError with auto-retry', () => {
    expect(parkOutcome('ConnectionError', dlqOn)).toBe('park-auto-retry');
  });

  it('parks a DataError for a person', () => {
    expect(parkOutcome('DataError', dlqOn)).toBe('park-manual');
  });

  it('fails the run on a RuntimeError', () => {
    expect(parkOutcome('RuntimeError', dlqOn)).toBe('fail');
  });

  it.each(errorCategories)('fails the run when %s happens on the first module', (c) => {
    expect(parkOutcome(c, { ...dlqOn, isFirstModule: true })).toBe('fail');
  });

  it.each(errorCategories)('fails the run on %s when storing incomplete executions is off', (c) => {
    expect(parkOutcome(c, { ...dlqOn, dlqEnabled: false })).toBe('fail');
  });
});
