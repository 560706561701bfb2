/**
 * Starting a scenario's series of reruns (`reruns-<taskQueue>-<scenarioId>`, Make's exponential
 * backoff: workflows/scenario-reruns.ts) from the end of the scheduled run whose transient error
 * begins it. One series at a time per scenario: while one is under way another start is a no-op,
 * so a retried activity or a second failed run starts nothing more.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { ImexOrgId, ImexScenarioId, rerunsWorkflowId } from '../domain';
import type { scenarioReruns, ScenarioRerunsInput } from '../../workflows/scenario-reruns';

export async function startScenarioReruns(
  client: Client,
  taskQueue: string,
  input: ScenarioRerunsInput,
): Promise<'started' | 'under-way'> {
  try {
    await client.workflow.start<typeof scenarioReruns>('scenarioReruns', {
      taskQueue,
      workflowId: rerunsWorkflowId(taskQueue, input.scenarioId),
      args: [input],
      staticSummary: `Scenario #${input.scenarioId} · reruns after ${input.error.type}`,
      typedSearchAttributes: [
        { key: ImexOrgId, value: String(input.orgId) },
        { key: ImexScenarioId, value: String(input.scenarioId) },
      ],
      // A new series once the last has ended (recovered, or the scenario deactivated and active again).
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'under-way';
    throw err;
  }
}
