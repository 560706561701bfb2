/**
 * Phase 4, payload discipline: the largest payload and the longest history among the workflows
 * the other phases sampled (runs, parking runs, IE workflows and their attempts, the bulk
 * operation, the bare baseline).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { BenchContext } from './context';
import { fetchEvents, scanPayloads } from './history';

/**
 * A sampled id may name a workflow that never started: a webhook payload still queued (or refused
 * at the cap) when its execution id was sampled, or a child whose start failed. Those have no
 * history to scan, so they are skipped and counted rather than failing the whole bench.
 */
async function eventsIfStarted(ctx: BenchContext, workflowId: string) {
  try {
    return await fetchEvents(ctx.client, workflowId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /NOT_FOUND|not found/i.test(String((err as Error)?.message))) {
      return undefined;
    }
    throw err;
  }
}

export interface PayloadResult {
  maxPayloadBytes: number;
  maxHistoryEvents: number;
  /** Sampled workflow ids with no history (never started), left out of the figures. */
  notStarted: number;
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
  let notStarted = 0;
  for (const [kind, ids] of ctx.sampled) {
    for (const id of ids) {
      const events = await eventsIfStarted(ctx, id);
      if (!events) {
        notStarted++;
        continue;
      }
      add(kind, scanPayloads(events));
      // An IE's attempts are child runs: read them too.
      for (const e of events) {
        const child = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
        if (!child) continue;
        const childEvents = await eventsIfStarted(ctx, child);
        if (childEvents) add('scenarioRun (attempt)', scanPayloads(childEvents));
        else notStarted++;
      }
    }
  }
  const entries = Object.values(byWorkflow);
  return {
    maxPayloadBytes: Math.max(0, ...entries.map((e) => e.maxPayloadBytes)),
    maxHistoryEvents: Math.max(0, ...entries.map((e) => e.maxHistoryEvents)),
    notStarted,
    byWorkflow,
  };
}
