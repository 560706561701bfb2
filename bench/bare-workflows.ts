/**
 * The bench's baseline: a hand-written Temporal workflow that does a 5-module scenario's work
 * with nothing of imex around it. The trigger is an activity, as in imex, and each of the four
 * variables is an activity that evaluates the same mapping imex's module activity evaluates
 * (bare-activities.ts), so both sides do equal work per run; what imex adds is what is measured.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BareActivities } from './bare-activities';

const { receiveWebhook, setVariable } = proxyActivities<BareActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

export interface BareScenarioInput {
  data: unknown;
  /** The mapper of each module after the trigger, keyed by module id, in flow order. */
  steps: { id: number; mapper: Record<string, unknown> }[];
}

export async function bareScenario(input: BareScenarioInput): Promise<{ operations: number }> {
  const context: Record<string, unknown> = { '1': await receiveWebhook(input.data) };
  for (const step of input.steps) {
    context[String(step.id)] = await setVariable({ mapper: step.mapper, context });
  }
  return { operations: 1 + input.steps.length };
}
