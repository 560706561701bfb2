/**
 * Deactivating a scenario after consecutive errors (Make §1.6): the scenario is marked inactive
 * with the reason and its Temporal Schedule paused, unless it was activated again since the
 * activation the errors belong to. Idempotent. Used by the coordinator's activity and by the end
 * of runs started without it (activities/consecutive-errors.ts).
 */
import type { Client } from '@temporalio/client';
import type { Store } from '../store';
import { recordAlert } from './alert-recorder';
import { pauseScenarioSchedule } from './coordinator';

export interface DeactivationRequest {
  orgId: number;
  scenarioId: number;
  reason: string;
  /** The activation the errors were counted in (`activatedAt`, ISO). */
  activation: string | null;
}

export async function deactivateScenario(
  deps: { store: Store; client: Client; taskQueue: string },
  input: DeactivationRequest,
): Promise<{ deactivated: boolean }> {
  const { store } = deps;
  const scenario = await store.scenarios.get(input.orgId, input.scenarioId);
  if (!scenario?.isActive) return { deactivated: false };
  if ((scenario.activatedAt?.toISOString() ?? null) !== input.activation) return { deactivated: false };
  // Recorded first: a crash after the update would find the scenario inactive and not come here again.
  await recordAlert(deps, {
    key: `deactivated:${input.scenarioId}:${input.activation ?? 'never'}`,
    orgId: input.orgId,
    kind: 'deactivated',
    scenarioId: input.scenarioId,
    message: `scenario "${scenario.name}" was deactivated: ${input.reason}`,
  });
  await store.scenarios.update(input.orgId, input.scenarioId, {
    isActive: false,
    deactivationReason: input.reason,
  });
  await pauseScenarioSchedule(
    deps.client,
    deps.taskQueue,
    input.scenarioId,
    `paused by imex: the scenario was deactivated: ${input.reason}`,
  );
  return { deactivated: true };
}
