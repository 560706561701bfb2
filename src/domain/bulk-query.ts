/**
 * Bulk operations by query (`POST /dlqs/operations`): their actions, states, verdicts and the
 * moves pause, resume and cancel make. The workflow checks a move against its state; the store
 * keeps the state so the API reads it without asking the workflow.
 */
export type BulkQueryAction = 'retry' | 'delete';
export const bulkQueryStates = ['running', 'paused', 'cancelled', 'completed', 'failed'] as const;
export type BulkQueryState = (typeof bulkQueryStates)[number];
export const bulkQueryVerdicts = ['applied', 'skipped', 'failed'] as const;
export type BulkQueryVerdict = (typeof bulkQueryVerdicts)[number];

/** Which states a request moves an operation from, and to. */
export const bulkQueryTransitions = {
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: ['running', 'paused'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly BulkQueryState[]; to: BulkQueryState }>;
export type BulkQueryControl = keyof typeof bulkQueryTransitions;

/** Why a move is refused in this state, or undefined when it is allowed. */
export function bulkQueryControlRefusal(state: BulkQueryState, control: BulkQueryControl): string | undefined {
  const allowed: readonly BulkQueryState[] = bulkQueryTransitions[control].from;
  return allowed.includes(state) ? undefined : `the operation is ${state}: it cannot ${control}`;
}

/** Where a walk over an IE query has got to: the last IE handled, in (created, id) descending order. */
export interface BulkQueryCursor {
  /** ISO time (workflow arguments are JSON). */
  created: string;
  id: string;
}
