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
  /**
   * The whole step as the workflow lives it: from the workflow task that decided to schedule it
   * being scheduled (right after whatever it waited on) → completed or failed.
   */
  turnMs: number;
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
    const decidedBy = byId.get(Number(scheduled.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId));
    const taskScheduled = byId.get(Number(decidedBy?.workflowTaskCompletedEventAttributes?.scheduledEventId));
    const s = timestampMs(scheduled.eventTime as Timestamp);
    const st = timestampMs(started.eventTime as Timestamp);
    const c = timestampMs(event.eventTime as Timestamp);
    timings.push({
      activityType: type,
      queueMs: st - s,
      runMs: c - st,
      totalMs: c - s,
      turnMs: c - timestampMs((taskScheduled ?? scheduled).eventTime as Timestamp),
      ok:
        event.activityTaskCompletedEventAttributes !== undefined && event.activityTaskCompletedEventAttributes !== null,
    });
  }
  return timings;
}

export interface LocalActivityMarker {
  activityType: string;
  /** When the workflow task that carried its result completed (the marker's event time). */
  recordedMs: number;
  /**
   * How long it ran: the SDK records its completion as the start of the workflow task that ran it
   * plus its run time, so this is that completion less the task's start.
   */
  ranMs: number;
}

/** The local activities a workflow ran, from their markers (`data` is the SDK's JSON record of each). */
export function localActivityMarkers(events: readonly HistoryEvent[]): LocalActivityMarker[] {
  const markers: LocalActivityMarker[] = [];
  let taskStartedMs = NaN;
  for (const event of events) {
    if (event.workflowTaskStartedEventAttributes) taskStartedMs = timestampMs(event.eventTime as Timestamp);
    const attrs = event.markerRecordedEventAttributes;
    const payload = attrs?.details?.data?.payloads?.[0]?.data;
    if (attrs?.markerName !== 'core_local_activity' || !payload) continue;
    const data = JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
    const field = (snake: string, camel: string) => data[snake] ?? data[camel];
    markers.push({
      activityType: String(field('activity_type', 'activityType')),
      recordedMs: timestampMs(event.eventTime as Timestamp),
      ranMs: jsonTimestampMs(field('complete_time', 'completeTime')) - taskStartedMs,
    });
  }
  return markers;
}

/** A protobuf Timestamp as JSON: `{seconds, nanos}` or an RFC 3339 string. */
function jsonTimestampMs(value: unknown): number {
  if (typeof value === 'string') return Date.parse(value);
  if (value && typeof value === 'object') {
    const { seconds, nanos } = value as { seconds?: number | string; nanos?: number };
    return Number(seconds ?? 0) * 1000 + (nanos ?? 0) / 1e6;
  }
  return NaN;
}

export interface PayloadScan {
  events: number;
  /** The largest single payload (serialized Payload proto: metadata and data). */
  maxPayloadBytes: number;
  maxPayloadEventType: string;
  /** Every payload's bytes, summed: what the history carries. */
  totalPayloadBytes: number;
}

/** Walks every event for payloads (inputs, results, failures' details, search attributes, memo). */
export function scanPayloads(events: readonly HistoryEvent[]): PayloadScan {
  let max = 0;
  let total = 0;
  let where = '';
  const visit = (value: unknown, eventType: string, depth: number) => {
    if (!value || typeof value !== 'object' || depth > 20) return;
    if (value instanceof Uint8Array) return;
    const record = value as Record<string, unknown>;
    if (record.data instanceof Uint8Array && record.metadata && typeof record.metadata === 'object') {
      const bytes = temporal.api.common.v1.Payload.encode(record as temporal.api.common.v1.IPayload).finish().length;
      total += bytes;
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
  return { events: events.length, maxPayloadBytes: max, maxPayloadEventType: where, totalPayloadBytes: total };
}

/** One workflow task as the history timed it: WorkflowTaskStarted → Completed (or Failed, TimedOut). */
export interface WorkflowTaskTiming {
  startedMs: number;
  ms: number;
  /** Scheduled → started: waiting in the task queue (the server's backlog, or a worker's sticky queue). */
  queueMs: number;
  /** Local activities whose markers the task recorded: it held the task open while they ran. */
  localActivities: number;
}

export function workflowTaskTimings(events: readonly HistoryEvent[]): WorkflowTaskTiming[] {
  const scheduledAt = new Map<number, number>();
  const startedAt = new Map<number, { at: number; queueMs: number }>();
  const byCompletion = new Map<number, WorkflowTaskTiming>();
  const tasks: WorkflowTaskTiming[] = [];
  for (const event of events) {
    const at = timestampMs(event.eventTime as Timestamp);
    if (event.workflowTaskScheduledEventAttributes) scheduledAt.set(Number(event.eventId), at);
    const start = event.workflowTaskStartedEventAttributes;
    if (start) {
      const scheduled = scheduledAt.get(Number(start.scheduledEventId));
      startedAt.set(Number(event.eventId), { at, queueMs: scheduled === undefined ? NaN : at - scheduled });
    }
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') {
      const task = byCompletion.get(Number(marker.workflowTaskCompletedEventId));
      if (task) task.localActivities += 1;
    }
    const closed =
      event.workflowTaskCompletedEventAttributes ??
      event.workflowTaskFailedEventAttributes ??
      event.workflowTaskTimedOutEventAttributes;
    const started = closed ? startedAt.get(Number(closed.startedEventId)) : undefined;
    if (started === undefined) continue;
    const task = { startedMs: started.at, ms: at - started.at, queueMs: started.queueMs, localActivities: 0 };
    tasks.push(task);
    byCompletion.set(Number(event.eventId), task);
  }
  return tasks;
}

/** The longest workflow task in a history. */
export function longestWorkflowTaskMs(events: readonly HistoryEvent[]): number {
  return workflowTaskTimings(events).reduce((longest, task) => Math.max(longest, task.ms), 0);
}
