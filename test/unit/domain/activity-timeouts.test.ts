import {
  ACTIVITY_HEARTBEAT_INTERVAL_MS,
  ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  moduleStartToCloseMs,
} from '../../../src/domain';

const http = (timeout?: unknown) => ({
  id: 2,
  module: 'http:ActionSendData',
  version: 3,
  parameters: {},
  mapper: { url: 'http://127.0.0.1/x', ...(timeout === undefined ? {} : { timeout }) },
});

describe('the module activity start-to-close timeout', () => {
  test('is an HTTP module’s own timeout plus 30 s', () => {
    expect(moduleStartToCloseMs(http(10))).toBe(40_000);
    expect(moduleStartToCloseMs(http('45'))).toBe(75_000);
  });

  test('assumes the HTTP module’s 300 s maximum when its timeout is empty, mapped or out of range', () => {
    for (const timeout of [undefined, '', '{{1.timeout}}', 0, -5, 900]) {
      expect([timeout, moduleStartToCloseMs(http(timeout))]).toEqual([timeout, 330_000]);
    }
  });

  test('is 10 minutes for modules without a timeout of their own', () => {
    const setVariable = { id: 3, module: 'util:SetVariable2', version: 1, parameters: {}, mapper: {} };
    expect(moduleStartToCloseMs(setVariable)).toBe(600_000);
  });

  test('a silent worker is noticed after a few missed heartbeats', () => {
    expect(ACTIVITY_HEARTBEAT_TIMEOUT_MS / ACTIVITY_HEARTBEAT_INTERVAL_MS).toBeGreaterThanOrEqual(3);
  });
});
