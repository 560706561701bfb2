/**
 * Consecutive errors of runs started without the scenario's coordinator (scheduled and webhook
 * runs of a scenario that is not sequential), counted in the store (src/store/run-errors.ts) at
 * each run's end. The rules are the coordinator's (Make §1.6): after `maxErrors` automatic runs in
 * a row end with status error the scenario is deactivated and its schedule paused; a webhook run
 * of an instant-trigger scenario deactivates it on its first error; a success or a warning resets
 * the count; errors count per activation; an error of a deactivating category (Make §2.1:
 * InvalidConfigurationError, InvalidAccessTokenError, …) deactivates at once; a scheduled run's
 * transient error (ConnectionError, RateLimitError, ModuleTimeoutError) is left to its series of
 * reruns. Idempotent per execution id: a retried or replayed end counts once.
 */
import type { Client } from '@temporalio/client';
import {
  consecutiveErrorsReason,
  deactivatesAtOnce,
  deactivatingErrorReason,
  errorsBeforeDeactivation,
  hasWebhookTrigger,
  rerunsScenario,
  scenarioSettingsSchema,
  type ExecutionStatus,
} from '../src/domain';
import type { Store } from '../src/store';
import { deactivateScenario } from '../src/temporal/scenario-deactivation';

export interface RunOutcomeInput {
  orgId: number;
  scenarioId: number;
  executionId: string;
  trigger: 'schedule' | 'webhook';
  /** The activation the run started in. */
  activation: string | null;
  status: ExecutionStatus;
  /** When the run ended (workflow time, ISO): the same on every retry. */
  endedAt: string;
  error?: { type: string; message: string };
}

export function createConsecutiveErrors(deps: { store: Store; client: Client; taskQueue: string }) {
  const { store } = deps;

  /** Counts the run's outcome; answers whether it deactivated the scenario. */
  async function countRunOutcome(input: RunOutcomeInput): Promise<{ deactivated: boolean }> {
    const endedAt = new Date(input.endedAt);
    if (input.status !== 'error') {
      await store.runErrors.resetBefore(input.scenarioId, endedAt);
      return { deactivated: false };
    }
    // Make: a scheduled run's transient error reruns the scenario; its series of reruns decides
    // (workflows/scenario-reruns.ts), and the run neither counts nor resets.
    if (input.trigger === 'schedule' && rerunsScenario(input.error?.type)) return { deactivated: false };
    const scenario = await store.scenarios.get(input.orgId, input.scenarioId);
    // Inactive already, or activated again since the run started: this error belongs to no count.
    if (!scenario?.isActive || (scenario.activatedAt?.toISOString() ?? null) !== input.activation) {
      return { deactivated: false };
    }
    // Make: some errors deactivate the scenario at once, whatever the count.
    if (input.error && deactivatesAtOnce(input.error.type)) {
      const result = await deactivateScenario(deps, {
        orgId: input.orgId,
        scenarioId: input.scenarioId,
        reason: deactivatingErrorReason(input.error, input.executionId),
        activation: input.activation,
      });
      if (result.deactivated) await store.runErrors.clear(input.scenarioId);
      return result;
    }
    const settings = scenarioSettingsSchema.parse(scenario.blueprint.metadata?.scenario ?? {});
    const { threshold, webhookRule } = errorsBeforeDeactivation(input.trigger, {
      maxErrors: settings.maxErrors,
      webhookTrigger: hasWebhookTrigger(scenario.blueprint),
    });
    if (threshold <= 0) return { deactivated: false };
    await store.runErrors.recordError({
      _id: input.executionId,
      scenarioId: input.scenarioId,
      activation: input.activation,
      endedAt,
      errorType: input.error?.type ?? 'UnexpectedError',
      message: input.error?.message ?? 'unknown error',
    });
    const errors = await store.runErrors.consecutive(input.scenarioId, input.activation, threshold);
    if (errors.length < threshold) return { deactivated: false };
    const reason = consecutiveErrorsReason({
      webhookRule,
      count: errors.length,
      threshold,
      ...(input.error ? { error: input.error } : {}),
      executionId: input.executionId,
    });
    const result = await deactivateScenario(deps, {
      orgId: input.orgId,
      scenarioId: input.scenarioId,
      reason,
      activation: input.activation,
    });
    if (result.deactivated) await store.runErrors.clear(input.scenarioId);
    return result;
  }

  return { countRunOutcome };
}
