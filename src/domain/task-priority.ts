/**
 * Temporal task-queue priorities (`priority.priorityKey`: 1 is served first, 5 last; unset is 3).
 * Live runs (on demand, webhook, scheduled) keep the default. Work on parked incomplete
 * executions, which waits durably anyway, goes after them, so that an outage's backlog of
 * attempts, or a bulk retry of thousands, never starves the scenarios that still run: the matching
 * service serves a backlogged queue's tasks in priority order (docs/incomplete-executions.md).
 * Activities and child workflows inherit their workflow's priority.
 */

/** An `incompleteExecution` workflow, its activities and its attempts' child runs. */
export const INCOMPLETE_EXECUTION_PRIORITY = { priorityKey: 4 } as const;

/** A `bulkOperation` workflow (bulk retry or delete) and its chunk activities. */
export const BULK_OPERATION_PRIORITY = { priorityKey: 5 } as const;
