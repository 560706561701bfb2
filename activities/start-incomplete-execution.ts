/**
 * Starting the workflow `ie-<ieId>` from what the store holds: parking starts it, maintenance
 * restarts one whose workflow is gone. Idempotent: a workflow already running is left alone.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import {
  ieWorkflowId,
  incompleteExecutionStartSearchAttributes,
  type IeStatus,
  type IncompleteExecutionInput,
  type IncompleteExecutionState,
  type RetrySchedule,
} from '../src/domain';
import type { IncompleteExecutionSummary } from '../src/store';

/** The workflow state of a stored IE; an attempt that was in progress is over, so it waits again. */
export function stateFromDocument(doc: IncompleteExecutionSummary): IncompleteExecutionState {
  const status: IeStatus =
    doc.status === 'in_progress' || doc.status === 'resolved' ? (doc.retry ? 'pending' : 'unresolved') : doc.status;
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
    created: doc.created.toISOString(),
    resolved: false,
    deleted: false,
  };
}

export async function startIncompleteExecutionWorkflow(
  client: Client,
  options: { taskQueue: string; doc: IncompleteExecutionSummary; defaultSchedule: RetrySchedule; note?: string },
): Promise<'started' | 'already-running'> {
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
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-running';
    throw err;
  }
}
