/**
 * Reading workflow histories: activity timings from event timestamps (scheduled → started →
 * closed, as the server recorded them) and the payloads a history carries.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Timestamp = { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined;

export function timestampMs(ts: Timestamp): number {
  if (!ts) return NaN;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : (ts.seconds?.toNumber() ?? 0);
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

export async function fetchEvents(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events ?? [];
}

export interface ActivityTiming {
  activityType: string;
  /** Scheduled → started: the task waiting for a worker's slot and poll. */
  queueMs: number;
  /** Started → completed or failed: the activity running, and its result reported. */
  runMs: number;
  /** Scheduled → completed or failed. */
  totalMs: number;
  ok: boolean;
}

/** The last attempt of each activity the workflow scheduled, as its history timed it. */
export function activityTimings(events: readonly HistoryEvent[]): ActivityTiming[] {
  const byId = new Map<number, HistoryEvent>();
  for (const event of events) byId.set(Number(event.eventId), event);
  const timings: ActivityTiming[] = [];
  for (const event of events) {
    const closed =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes;
    if (!closed) continue;
    const scheduled = byId.get(Number(closed.scheduledEventId));
    const started = byId.get(Number(closed.startedEventId));
    const type = scheduled?.activityTaskScheduledEventAttributes?.activityType?.name;
    if (!scheduled || !started || !type) continue;
    const s = timestampMs(scheduled.eventTime as Timestamp);
    const st = timestampMs(started.eventTime as Timestamp);
    const c = timestampMs(event.eventTime as Timestamp);
    timings.push({
      activityType: type,
      queueMs: st - s,
      runMs: c - st,
      totalMs: c - s,
      ok:
        event.activityTaskCompletedEventAttributes !== undefined && event.activityTaskCompletedEventAttributes !== null,
    });
  }
  return timings;
}

export interface PayloadScan {
  events: number;
  /** The largest single payload (serialized Payload proto: metadata and data). */
  maxPayloadBytes: number;
  maxPayloadEventType: string;
}

/** Walks every event for payloads (inputs, results, failures' details, search attributes, memo). */
export function scanPayloads(events: readonly HistoryEvent[]): PayloadScan {
  let max = 0;
  let where = '';
  const visit = (value: unknown, eventType: string, depth: number) => {
    if (!value || typeof value !== 'object' || depth > 20) return;
    if (value instanceof Uint8Array) return;
    const record = value as Record<string, unknown>;
    if (record.data instanceof Uint8Array && record.metadata && typeof record.metadata === 'object') {
      const bytes = temporal.api.common.v1.Payload.encode(record as temporal.api.common.v1.IPayload).finish().length;
      if (bytes > max) {
        max = bytes;
        where = eventType;
      }
      return;
    }
    for (const child of Object.values(record)) visit(child, eventType, depth + 1);
  };
  for (const event of events) {
    const type = temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType);
    visit(event, type, 0);
  }
  return { events: events.length, maxPayloadBytes: max, maxPayloadEventType: where };
}
