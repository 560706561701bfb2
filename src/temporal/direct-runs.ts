/**
 * Starting a `scenarioRun` (`run-<executionId>`) without the scenario's coordinator: runs on
 * demand of any scenario that is not sequential, and its scheduled and webhook runs. Idempotent by
 * workflow id: a run whose id exists (running or closed) is never started again, so a retried
 * start, a second dispatcher or a replayed activity starts each payload's or occurrence's run once.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import {
  ImexOrgId,
  ImexScenarioId,
  runWorkflowId,
  type Blueprint,
  type RerunOf,
  type ScenarioRunInput,
} from '../domain';
import type { scenarioRun } from '../../workflows/scenario-run';

export interface DirectRunRequest {
  orgId: number;
  scenario: { id: number; name: string; blueprint: Blueprint; activatedAt?: Date };
  executionId: string;
  trigger: 'manual' | 'schedule' | 'webhook';
  data?: unknown;
  /** A run on demand's `callbackUrl` (ScenarioRunInput). */
  callbackUrl?: string;
  /** A rerun after a transient error (ScenarioRunInput). */
  rerun?: RerunOf;
}

/** Starts the run; `'already-started'` when a workflow with its id exists. */
export async function startDirectRun(
  client: Client,
  taskQueue: string,
  request: DirectRunRequest,
): Promise<'started' | 'already-started'> {
  const { scenario, trigger } = request;
  const input: ScenarioRunInput = {
    orgId: request.orgId,
    scenarioId: scenario.id,
    scenarioName: scenario.name,
    executionId: request.executionId,
    blueprint: scenario.blueprint,
    trigger,
    ...(request.data === undefined ? {} : { data: request.data }),
    ...(request.callbackUrl ? { callbackUrl: request.callbackUrl } : {}),
    ...(request.rerun ? { rerun: request.rerun } : {}),
    // Runs on demand neither count nor reset consecutive errors (Make §1.6).
    ...(trigger === 'manual' ? {} : { direct: { activation: scenario.activatedAt?.toISOString() ?? null } }),
  };
  try {
    await client.workflow.start<typeof scenarioRun>('scenarioRun', {
      taskQueue,
      workflowId: runWorkflowId(request.executionId),
      args: [input],
      staticSummary: `Scenario "${scenario.name}" (#${scenario.id}) · ${request.rerun ? `rerun ${request.rerun.number}` : `${trigger} run`}`,
      typedSearchAttributes: [
        { key: ImexOrgId, value: String(request.orgId) },
        { key: ImexScenarioId, value: String(scenario.id) },
      ],
      // One run per payload or occurrence, even after the first has closed.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already-started';
    throw err;
  }
}
