/**
 * `scenarioScheduleTick`: what a scenario's Temporal Schedule (`imex-scenario-<taskQueue>-<id>`) starts at
 * each occurrence. Its activity starts the occurrence's run directly (a scenario that is not
 * sequential) or hands it to the scenario's coordinator (signal with start), and it ends. An
 * occurrence of an inactive scenario is dropped, and pauses the schedule if it was not paused yet.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ImexActivities } from '../activities';
import { ACTIVITY_HEARTBEAT_TIMEOUT_MS } from '../src/domain/plain';

const { requestScheduledRun } = proxyActivities<ImexActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 10 },
});

export interface ScenarioScheduleTickInput {
  orgId: number;
  scenarioId: number;
}

export async function scenarioScheduleTick(input: ScenarioScheduleTickInput): Promise<{ requested: boolean }> {
  return requestScheduledRun(input);
}
