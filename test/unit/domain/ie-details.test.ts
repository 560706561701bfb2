import {
  incompleteExecutionDetails,
  markdownVerbatim,
  type IncompleteExecutionDetailsState,
} from '../../../src/domain';

const state = (over: Partial<IncompleteExecutionDetailsState> = {}): IncompleteExecutionDetailsState => ({
  status: 'pending',
  retry: true,
  attempts: 2,
  nextRetryAt: '2026-12-02T13:00:00.000Z',
  waitingForSlot: false,
  failer: 3,
  error: { type: 'ConnectionError', message: '[503] Service Unavailable' },
  ...over,
});

describe('incompleteExecutionDetails', () => {
  test('an auto-retried IE counts its attempts against the schedule and says when the next is', () => {
    expect(incompleteExecutionDetails(state(), 8)).toBe(
      '**pending** · attempts 2 of 8 (auto-retry) · next auto-retry at 2026-12-02T13:00:00.000Z\n\n' +
        'Failed at module 3: ConnectionError:\n\n```text\n[503] Service Unavailable\n```',
    );
  });

  test('an IE without auto-retry never says "of 8" and says it waits for a person', () => {
    const details = incompleteExecutionDetails(
      state({
        status: 'unresolved',
        retry: false,
        attempts: 0,
        nextRetryAt: null,
        error: { type: 'DataError', message: 'x' },
      }),
      8,
    );
    expect(details).toMatch(
      /^\*\*unresolved\*\* · attempts 0 · no auto-retry: waits for a person \(retry, resolve or delete\)\n/,
    );
    expect(details).not.toContain('of 8');
  });

  test('a rejection and the error show as typed, even with markdown and backticks in them', () => {
    const message = '{"error":"*bold* _x_ [link](y) ```fence```"}';
    const details = incompleteExecutionDetails(
      state({
        error: { type: 'DataError', message },
        lastRejection: { request: 'retry', reason: 'an attempt is in progress' },
      }),
      8,
    );
    expect(details).toContain(`\n\n\`\`\`\`text\n${message}\n\`\`\`\`\n\nLast rejected request: **retry**:`);
    expect(details.endsWith('```text\nan attempt is in progress\n```')).toBe(true);
  });

  test('markdownVerbatim fences longer than any backtick run', () => {
    expect(markdownVerbatim('a')).toBe('```text\na\n```');
    expect(markdownVerbatim('a ````` b')).toBe('``````text\na ````` b\n``````');
  });
});
