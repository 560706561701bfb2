/**
 * Starting the workflow `ie-<ieId>` from what the store holds: parking starts it, maintenance
 * restarts one whose workflow is gone. Idempotent: a workflow already running is left alone, and
 * a deleted or resolved IE is never started again (issue 14).
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  ieWorkflowId,
  INCOMPLETE_EXECUTION_PRIORITY,
  incompleteExecutionStartSearchAttributes,
  type IeStatus,
  type IncompleteExecutionInput,
  type IncompleteExecutionState,
  type RetrySchedule,
} from '../src/domain';
import type { IncompleteExecutionSummary } from '../src/store';

/**
 * The workflow state of a stored IE; an attempt that was in progress (or waiting for its slot) is
 * over, so it waits again.
 */
export function stateFromDocument(doc: IncompleteExecutionSummary): IncompleteExecutionState {
  const over = doc.status === 'in_progress' || doc.status === 'resolved' || doc.waitingForSlot === true;
  const status: IeStatus = over ? (doc.retry ? 'pending' : 'unresolved') : doc.status;
  return {
    ieId: doc._id,
    orgId: doc.orgId,
    scenarioId: doc.scenarioId,
    scenarioName: doc.scenarioName,
    executionId: doc.executionId,
    status,
    retry: doc.retry,
    attempts: doc.attempts,
    failer: doc.failer,
    error: doc.error,
    nextRetryAt: doc.nextRetryAt ? doc.nextRetryAt.toISOString() : null,
    // A wait for an attempt slot ended with the workflow: the first write-through clears it.
    ...(doc.waitingForSlot ? { waitingForSlot: false } : {}),
    created: doc.created.toISOString(),
    resolved: false,
    deleted: false,
  };
}

export async function startIncompleteExecutionWorkflow(
  client: Client,
  options: {
    taskQueue: string;
    doc: IncompleteExecutionSummary;
    defaultSchedule: RetrySchedule;
    note?: string;
    /**
     * Parking starts the IE's first workflow only: if `ie-<ieId>` ever ran (and Temporal still
     * remembers it), it owns the IE, whatever became of it. Maintenance restarts a lost one.
     */
    firstStart?: boolean;
  },
): Promise<'started' | 'already-started' | 'closed'> {
  // A deleted or resolved IE never gets a workflow again.
  if (options.doc.deleted || options.doc.resolved) return 'closed';
  const state = stateFromDocument(options.doc);
  // The IE's own schedule (a scenario override or a Break's), else the deployment's.
  const input: IncompleteExecutionInput = { state, schedule: [...(options.doc.schedule ?? options.defaultSchedule)] };
  try {
    await client.workflow.start('incompleteExecution', {
      taskQueue: options.taskQueue,
      workflowId: ieWorkflowId(state.ieId),
      args: [input],
      staticSummary:
        `Incomplete execution of "${state.scenarioName}" (#${state.scenarioId}) at module ${state.failer}` +
        (options.note ? ` (${options.note})` : ''),
      typedSearchAttributes: incompleteExecutionStartSearchAttributes(state),
      workflowIdReusePolicy: options.firstStart ? 'REJECT_DUPLICATE' : 'ALLOW_DUPLICATE',
      // Below live runs: its tasks, its activities and its attempts wait while scenarios run.
      priority: INCOMPLETE_EXECUTION_PRIORITY,
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-started'; // running, or (first start) it ran before
    throw err;
  }
}
