/** The state a (re)started IE workflow takes from its document: an attempt that was under way is over. */
import { stateFromDocument } from '../../../activities/start-incomplete-execution';
import type { IncompleteExecutionSummary } from '../../../src/store';

const doc = (fields: Partial<IncompleteExecutionSummary>): IncompleteExecutionSummary => ({
  _id: 'a'.repeat(32),
  orgId: 1,
  scenarioId: 2,
  scenarioName: 's',
  executionId: 'b'.repeat(32),
  failer: 2,
  bundleIndex: 0,
  error: { type: 'DataError', message: 'bad' },
  size: 10,
  status: 'unresolved',
  retry: false,
  attempts: 0,
  nextRetryAt: null,
  resolved: false,
  deleted: false,
  created: new Date(0),
  updatedAt: new Date(0),
  ...fields,
});

test('an IE that waited for an attempt slot waits again as its retry says, and its wait is cleared', () => {
  expect(stateFromDocument(doc({ status: 'pending', retry: false, waitingForSlot: true }))).toMatchObject({
    status: 'unresolved',
    waitingForSlot: false,
  });
  expect(stateFromDocument(doc({ status: 'pending', retry: true, waitingForSlot: true }))).toMatchObject({
    status: 'pending',
    waitingForSlot: false,
  });
});

test('an IE that never waited keeps its status and writes no wait', () => {
  const state = stateFromDocument(doc({ status: 'unresolved' }));
  expect(state.status).toBe('unresolved');
  expect(state).not.toHaveProperty('waitingForSlot');
  expect(stateFromDocument(doc({ status: 'in_progress', retry: true })).status).toBe('pending');
});
