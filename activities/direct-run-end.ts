/**
 * The end of a scheduled or webhook run started without the scenario's coordinator
 * (`endDirectRun`, a local activity of `scenarioRun`): what the coordinator did when its child
 * ended, as one step that a retry or a replay may repeat (each part is idempotent):
 * 1. the run's lease goes (activities/scenario-leases.ts): waiting attempts may start;
 * 2. its outcome counts towards consecutive errors (activities/consecutive-errors.ts);
 * 3. a webhook run's place is free: the scenario's waiting payloads are delivered
 *    (src/temporal/webhook-dispatch.ts).
 */
import type { CoordinatorAddress } from '../src/temporal/coordinator';
import type { RunOutcomeInput } from './consecutive-errors';
import type { RunLeaseInput } from './scenario-leases';

export type DirectRunEndInput = RunOutcomeInput;

export function createDirectRunEnd(parts: {
  unregisterRun: (input: RunLeaseInput) => Promise<void>;
  countRunOutcome: (input: RunOutcomeInput) => Promise<{ deactivated: boolean }>;
  deliverWebhooks: (address: CoordinatorAddress) => Promise<unknown>;
}) {
  return async function endDirectRun(input: DirectRunEndInput): Promise<{ deactivated: boolean }> {
    const address = { orgId: input.orgId, scenarioId: input.scenarioId };
    await parts.unregisterRun({ ...address, executionId: input.executionId });
    const counted = await parts.countRunOutcome(input);
    if (input.trigger === 'webhook' && !counted.deactivated) await parts.deliverWebhooks(address);
    return counted;
  };
}
