/**
 * The end of a scheduled or webhook run started without the scenario's coordinator
 * (`endDirectRun`, a local activity of `scenarioRun`): what the coordinator did when its child
 * ended, as one step that a retry or a replay may repeat (each part is idempotent):
 * 1. the run's lease goes (activities/scenario-leases.ts): waiting attempts may start;
 * 2. its outcome counts towards consecutive errors (activities/consecutive-errors.ts);
 * 3. a webhook run's place is free: it answers whether payloads wait, and the run then delivers
 *    them with the activity `deliverQueuedWebhooks` (src/temporal/webhook-dispatch.ts). Not here:
 *    a delivery starts workflows, seconds under load, and a local activity holds its workflow task.
 */
import type { Store } from '../src/store';
import type { RunOutcomeInput } from './consecutive-errors';
import type { RunLeaseInput } from './scenario-leases';

export type DirectRunEndInput = RunOutcomeInput;

export interface DirectRunEndOutput {
  deactivated: boolean;
  /** A webhook run's scenario has payloads waiting for a place: deliver them. */
  payloadsWaiting?: boolean;
}

export function createDirectRunEnd(parts: {
  store: Store;
  unregisterRun: (input: RunLeaseInput) => Promise<void>;
  countRunOutcome: (input: RunOutcomeInput) => Promise<{ deactivated: boolean }>;
}) {
  return async function endDirectRun(input: DirectRunEndInput): Promise<DirectRunEndOutput> {
    const address = { orgId: input.orgId, scenarioId: input.scenarioId };
    await parts.unregisterRun({ ...address, executionId: input.executionId });
    const counted = await parts.countRunOutcome(input);
    if (input.trigger !== 'webhook' || counted.deactivated) return counted;
    const waiting = await parts.store.webhooks.readWaiting(input.scenarioId, 1);
    return waiting.length > 0 ? { ...counted, payloadsWaiting: true } : counted;
  };
}
