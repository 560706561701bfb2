import {
  delayForAttempt,
  executionIdFromUuid,
  executionIdSchema,
  executionStatusCode,
  executionStatusFromCode,
  ieIdSource,
  ieStatuses,
  ieWorkflowId,
  isHex32Id,
  makeRerunSchedule,
  makeRetrySchedule,
  parseDuration,
  rerunsScenario,
  scenarioImexSchema,
  retryScheduleSchema,
  runWorkflowId,
} from '../../../src/domain';

describe("the whole scenario's reruns (Make's exponential backoff)", () => {
  it("is Make's: 1 min, 2, 5, 10 min, 1 h, 3 h, 12 h, 24 h", () => {
    expect(makeRerunSchedule).toEqual([60e3, 120e3, 300e3, 600e3, 3600e3, 10800e3, 43200e3, 86400e3]);
  });

  it('follows ConnectionError, RateLimitError and ModuleTimeoutError only', () => {
    expect(['ConnectionError', 'RateLimitError', 'ModuleTimeoutError'].every(rerunsScenario)).toBe(true);
    expect(['DataError', 'RuntimeError', 'InvalidAccessTokenError', 'OutOfSpaceError'].some(rerunsScenario)).toBe(
      false,
    );
    expect(rerunsScenario(undefined)).toBe(false);
  });

  it("takes a scenario's own rerun schedule and run limit as durations", () => {
    expect(scenarioImexSchema.parse({ rerunSchedule: '1s,2s', runLimit: '90s' })).toEqual({
      rerunSchedule: [1000, 2000],
      runLimit: 90_000,
    });
    expect(scenarioImexSchema.parse({ runLimit: 0 })).toEqual({ runLimit: 0 });
    expect(scenarioImexSchema.safeParse({ runLimit: 'long' }).success).toBe(false);
  });
});

describe('the auto-retry schedule', () => {
  it("is Make's: 1 min, 10, 10, 30, 30, 30 min, 3 h, 3 h", () => {
    expect(makeRetrySchedule).toEqual([60e3, 600e3, 600e3, 1800e3, 1800e3, 1800e3, 10800e3, 10800e3]);
    // The last attempt lands at T+7h51m, as Make's docs say.
    expect(makeRetrySchedule.reduce((a, b) => a + b, 0)).toBe((7 * 60 + 51) * 60e3);
  });

  it('gives the delay for each step and nothing after the 8th attempt', () => {
    expect(delayForAttempt(makeRetrySchedule, 0)).toBe(60e3);
    expect(delayForAttempt(makeRetrySchedule, 1)).toBe(600e3);
    expect(delayForAttempt(makeRetrySchedule, 7)).toBe(10800e3);
    expect(delayForAttempt(makeRetrySchedule, 8)).toBeUndefined();
    expect(delayForAttempt(makeRetrySchedule, -1)).toBeUndefined();
    expect(delayForAttempt(makeRetrySchedule, 1.5)).toBeUndefined();
  });

  it('is overridable with durations for tests and demos', () => {
    expect(retryScheduleSchema.parse('2s, 5s,1m')).toEqual([2000, 5000, 60000]);
    expect(retryScheduleSchema.parse([1000, '3s', '250ms'])).toEqual([1000, 3000, 250]);
    expect(retryScheduleSchema.parse('')).toEqual([]);
    expect(retryScheduleSchema.safeParse('5 parsecs').success).toBe(false);
    expect(retryScheduleSchema.safeParse([-1]).success).toBe(false);
  });

  it('parses durations with units', () => {
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('3h')).toBe(10800e3);
    expect(parseDuration('42')).toBe(42);
    expect(parseDuration('soon')).toBeUndefined();
  });
});

describe('statuses', () => {
  it("names IE statuses as Make's", () => {
    expect(ieStatuses).toEqual(['unresolved', 'pending', 'in_progress', 'resolved']);
  });

  it("maps execution statuses to Make's codes and back", () => {
    expect([executionStatusCode('success'), executionStatusCode('warning'), executionStatusCode('error')]).toEqual([
      1, 2, 3,
    ]);
    expect(executionStatusFromCode(2)).toBe('warning');
    expect(executionStatusFromCode(4)).toBeUndefined();
  });
});

describe('ids', () => {
  it('accepts exactly 32 lowercase hex characters', () => {
    expect(isHex32Id('0123456789abcdef0123456789abcdef')).toBe(true);
    expect(isHex32Id('0123456789ABCDEF0123456789abcdef')).toBe(false);
    expect(isHex32Id('0123456789abcdef0123456789abcde')).toBe(false);
    expect(isHex32Id(42)).toBe(false);
    expect(executionIdSchema.safeParse('zz'.repeat(16)).success).toBe(false);
  });

  it('turns a uuid into an executionId and names workflows after ids', () => {
    const id = executionIdFromUuid('1B4E28BA-2FA1-11D2-883F-0016D3CCA427');
    expect(id).toBe('1b4e28ba2fa111d2883f0016d3cca427');
    expect(() => executionIdFromUuid('nope')).toThrow('not a uuid');
    expect(runWorkflowId(id)).toBe(`run-${id}`);
    expect(ieWorkflowId(id)).toBe(`ie-${id}`);
    expect(ieIdSource(id, 3, 0)).toBe(`${id}:3:0`);
  });
});
