/**
 * Phase 4, payload discipline: the largest payload and the longest history among the workflows
 * the other phases sampled (runs, parking runs, IE workflows and their attempts, the bulk
 * operation, the bare baseline).
 */
import type { BenchContext } from './context';
import { fetchEvents, scanPayloads } from './history';

export interface PayloadResult {
  maxPayloadBytes: number;
  maxHistoryEvents: number;
  byWorkflow: Record<
    string,
    { workflows: number; maxPayloadBytes: number; maxHistoryEvents: number; largestIn: string }
  >;
}

export async function measurePayloads(ctx: BenchContext): Promise<PayloadResult> {
  const byWorkflow: PayloadResult['byWorkflow'] = {};
  const add = (kind: string, scan: ReturnType<typeof scanPayloads>) => {
    const entry = (byWorkflow[kind] ??= { workflows: 0, maxPayloadBytes: 0, maxHistoryEvents: 0, largestIn: '' });
    entry.workflows++;
    entry.maxHistoryEvents = Math.max(entry.maxHistoryEvents, scan.events);
    if (scan.maxPayloadBytes > entry.maxPayloadBytes) {
      entry.maxPayloadBytes = scan.maxPayloadBytes;
      entry.largestIn = scan.maxPayloadEventType;
    }
  };
  for (const [kind, ids] of ctx.sampled) {
    for (const id of ids) {
      const events = await fetchEvents(ctx.client, id);
      add(kind, scanPayloads(events));
      // An IE's attempts are child runs: read them too.
      for (const e of events) {
        const child = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
        if (child) add('scenarioRun (attempt)', scanPayloads(await fetchEvents(ctx.client, child)));
      }
    }
  }
  const entries = Object.values(byWorkflow);
  return {
    maxPayloadBytes: Math.max(0, ...entries.map((e) => e.maxPayloadBytes)),
    maxHistoryEvents: Math.max(0, ...entries.map((e) => e.maxHistoryEvents)),
    byWorkflow,
  };
}
