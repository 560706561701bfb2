/**
 * Which scenarios have webhook payloads waiting longer than they should: read by maintenance,
 * which wakes their coordinators (a payload accepted while Temporal was down has had no wake-up
 * signal). Only reads the queue (`webhook_queue`, src/store/webhook-queue.ts); one indexed query per
 * scenario found (`scenario_seq`), no `$group` accumulators FerretDB lacks.
 */
import type { WebhookQueueStore } from './webhook-queue';

export interface WaitingWebhookBacklog {
  orgId: number;
  scenarioId: number;
  /** The oldest payload not yet handed to a run. */
  oldestSeq: number;
  oldestReceivedAt: Date;
}

/**
 * Scenarios after `afterScenarioId` (in id order) with a payload not consumed and received before
 * `receivedBefore`, at most `limit`.
 */
export async function scenariosWithWaitingWebhooks(
  queue: WebhookQueueStore,
  input: { receivedBefore: Date; afterScenarioId: number; limit: number },
): Promise<WaitingWebhookBacklog[]> {
  const found: WaitingWebhookBacklog[] = [];
  let after = input.afterScenarioId;
  while (found.length < input.limit) {
    const [entry] = await queue.entries
      .find(
        { scenarioId: { $gt: after }, consumed: false, receivedAt: { $lt: input.receivedBefore } },
        { projection: { orgId: 1, scenarioId: 1, seq: 1, receivedAt: 1 } },
      )
      .sort({ scenarioId: 1, seq: 1 })
      .limit(1)
      .toArray();
    if (!entry) break;
    found.push({
      orgId: entry.orgId,
      scenarioId: entry.scenarioId,
      oldestSeq: entry.seq,
      oldestReceivedAt: entry.receivedAt,
    });
    after = entry.scenarioId;
  }
  return found;
}
