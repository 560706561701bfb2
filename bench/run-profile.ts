/**
 * What one run costs, counted in ways the machine's load does not change (issue 16's profile of
 * the sequential path): per run of a batch, the CPU each process spent (/proc), the history the
 * run and its scenario's coordinator wrote (events, workflow tasks, activities, local
 * activities, payload bytes), the store calls and MongoDB commands of the worker's activities and
 * of the client, and where a run's latency went, from the servers' timestamps.
 */
import fs from 'node:fs';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { CallRecorder } from './instrument';
import { fetchEvents, localActivityMarkers, scanPayloads, timestampMs, workflowTaskTimings } from './history';
import { round, summarize } from './stats';
import type { BenchWorker } from './worker-handle';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Timestamp = Parameters<typeof timestampMs>[0];

/** One run as its client saw it. */
export interface RunTrace {
  workflowId: string;
  /** The coordinator that started it, when one did. */
  coordinatorId?: string;
  /** Epoch ms: the client's request began, and its result arrived. */
  clientStartMs: number;
  clientEndMs: number;
}

export interface HistoryCounts {
  events: number;
  workflowTasks: number;
  activities: number;
  localActivities: number;
  payloadBytes: number;
}

export interface RunProfile {
  runs: number;
  /** CPU per run (ms) by process: the worker, the Temporal dev server, the store, this process (client). */
  cpuMsPerRun: Record<string, number>;
  /** The run workflow's own history, per run (mean over the batch). */
  runHistory: HistoryCounts;
  /** The coordinators' history written during the batch, per run (absent: no coordinator). */
  coordinatorHistory?: HistoryCounts;
  /** Per activity type of the worker: MongoDB commands per run, and its store calls (per run, mean ms each). */
  workerPerRun: Record<string, { mongoCommands: number; calls: Record<string, { perRun: number; meanMs: number }> }>;
  /** Store and Temporal client calls of this process (the client: acceptWebhook, starts, results) per run. */
  clientCallsPerRun: Record<string, number>;
  /** Medians (ms) of where each run's latency went, in order (server timestamps; the client's clock for its ends). */
  latencyMs: Record<string, number>;
}

/** utime + stime of a process (every thread), in ms; NaN when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

export interface ProfiledProcesses {
  worker: BenchWorker;
  /** The stack's processes (Temporal dev server, store), by name. */
  stack: { name: string; pid: number }[];
  /** The client side's calls (this process's store and Temporal client). */
  clientCalls: CallRecorder;
}

function cpuSnapshot(p: ProfiledProcesses): Record<string, number> {
  const snapshot: Record<string, number> = { worker: processCpuMs(p.worker.pid) };
  for (const { name, pid } of p.stack) snapshot[name] = processCpuMs(pid);
  const own = process.cpuUsage();
  snapshot.client = (own.user + own.system) / 1000;
  return snapshot;
}

/** Runs `batch` and profiles it; `batch` returns the traces of the runs it made. */
export async function profileBatch(
  client: Client,
  processes: ProfiledProcesses,
  batch: () => Promise<RunTrace[]>,
): Promise<RunProfile> {
  await processes.worker.breakdown(true);
  processes.clientCalls.reset();
  const before = cpuSnapshot(processes);
  const started = Date.now();
  const traces = await batch();
  const ended = Date.now();
  const after = cpuSnapshot(processes);
  const breakdown = await processes.worker.breakdown(true);
  const clientCalls = processes.clientCalls.snapshot();
  const n = traces.length;
  const perRun = (value: number) => round(value / n, 2);

  const cpuMsPerRun: Record<string, number> = {};
  for (const [name, ms] of Object.entries(after)) cpuMsPerRun[name] = perRun(ms - (before[name] ?? NaN));

  const workerPerRun: RunProfile['workerPerRun'] = {};
  for (const [activity, { calls, mongoCommands }] of Object.entries(breakdown)) {
    workerPerRun[activity] = {
      mongoCommands: perRun(mongoCommands),
      calls: Object.fromEntries(
        Object.entries(calls).map(([name, stats]) => [
          name,
          { perRun: perRun(stats.count), meanMs: round(stats.totalMs / stats.count, 1) },
        ]),
      ),
    };
  }
  const clientCounts: Record<string, number> = {};
  for (const entry of Object.values(clientCalls)) {
    for (const [name, stats] of Object.entries(entry.calls))
      clientCounts[name] = (clientCounts[name] ?? 0) + stats.count;
  }
  const clientCallsPerRun = Object.fromEntries(Object.entries(clientCounts).map(([name, c]) => [name, perRun(c)]));

  const runTotals = zeroCounts();
  const segments = new Map<string, number[]>();
  const coordinatorEvents = new Map<string, HistoryEvent[]>();
  for (const id of new Set(traces.flatMap((t) => (t.coordinatorId ? [t.coordinatorId] : [])))) {
    coordinatorEvents.set(id, await fetchEvents(client, id));
  }
  for (const trace of traces) {
    const events = await fetchEvents(client, trace.workflowId);
    addCounts(runTotals, countsOf(events));
    const runStartedMs = timestampMs(events[0]?.eventTime as Timestamp);
    const runClosedMs = timestampMs(events[events.length - 1]?.eventTime as Timestamp);
    const firstTaskMs = workflowTaskTimings(events)[0]?.startedMs ?? NaN;
    const marks: [string, number][] = [['client start', trace.clientStartMs]];
    const coordinator = trace.coordinatorId ? coordinatorEvents.get(trace.coordinatorId) : undefined;
    if (coordinator) marks.push(...coordinatorMarks(coordinator, trace));
    marks.push(
      ['run started', runStartedMs],
      ['run first task started', firstTaskMs],
      ['run closed', runClosedMs],
      ['client saw result', trace.clientEndMs],
    );
    for (let i = 1; i < marks.length; i++) {
      const [from, fromMs] = marks[i - 1] as [string, number];
      const [to, toMs] = marks[i] as [string, number];
      const key = `${from} → ${to}`;
      segments.set(key, [...(segments.get(key) ?? []), toMs - fromMs]);
    }
  }
  const latencyMs: Record<string, number> = {};
  for (const [key, values] of segments) latencyMs[key] = round(summarize(values).median, 1);

  let coordinatorHistory: HistoryCounts | undefined;
  if (coordinatorEvents.size > 0) {
    const totals = zeroCounts();
    for (const events of coordinatorEvents.values()) {
      // Only what the coordinators wrote while the batch ran (a history may hold earlier batches;
      // one that continued as new meanwhile is read from its latest run only, an undercount).
      addCounts(totals, countsOf(eventsBetween(events, started, ended + 1000)));
    }
    coordinatorHistory = divideCounts(totals, n);
  }

  return {
    runs: n,
    cpuMsPerRun,
    runHistory: divideCounts(runTotals, n),
    ...(coordinatorHistory ? { coordinatorHistory } : {}),
    workerPerRun,
    clientCallsPerRun,
    latencyMs,
  };
}

/** In the coordinator's history: the signal that brought the run's payload, and the child's start. */
function coordinatorMarks(events: readonly HistoryEvent[], trace: RunTrace): [string, number][] {
  const runId = trace.workflowId;
  const initiated = events.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === runId);
  if (!initiated) return [];
  const initiatedMs = timestampMs(initiated.eventTime as Timestamp);
  const signal = events.find((e) => {
    const at = timestampMs(e.eventTime as Timestamp);
    return e.workflowExecutionSignaledEventAttributes && at >= trace.clientStartMs && at <= initiatedMs;
  });
  const decidedBy = events.find(
    (e) =>
      e.workflowTaskStartedEventAttributes &&
      Number(e.eventId) < Number(initiated.eventId) &&
      !events.some(
        (later) =>
          later.workflowTaskStartedEventAttributes &&
          Number(later.eventId) > Number(e.eventId) &&
          Number(later.eventId) < Number(initiated.eventId),
      ),
  );
  return [
    ...(signal ? ([['coordinator signalled', timestampMs(signal.eventTime as Timestamp)]] as [string, number][]) : []),
    ...(decidedBy
      ? ([['coordinator task that starts it', timestampMs(decidedBy.eventTime as Timestamp)]] as [string, number][])
      : []),
    ['child start initiated', initiatedMs],
  ];
}

function eventsBetween(events: readonly HistoryEvent[], fromMs: number, toMs: number): HistoryEvent[] {
  return events.filter((e) => {
    const at = timestampMs(e.eventTime as Timestamp);
    return at >= fromMs && at <= toMs;
  });
}

function zeroCounts(): HistoryCounts {
  return { events: 0, workflowTasks: 0, activities: 0, localActivities: 0, payloadBytes: 0 };
}

function countsOf(events: readonly HistoryEvent[]): HistoryCounts {
  return {
    events: events.length,
    workflowTasks: workflowTaskTimings(events).length,
    activities: events.filter((e) => e.activityTaskScheduledEventAttributes).length,
    localActivities: localActivityMarkers(events).length,
    payloadBytes: scanPayloads(events).totalPayloadBytes,
  };
}

function addCounts(into: HistoryCounts, add: HistoryCounts): void {
  for (const key of Object.keys(into) as (keyof HistoryCounts)[]) into[key] += add[key];
}

function divideCounts(counts: HistoryCounts, n: number): HistoryCounts {
  const out = zeroCounts();
  for (const key of Object.keys(out) as (keyof HistoryCounts)[]) out[key] = round(counts[key] / n, 2);
  return out;
}
