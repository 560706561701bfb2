/**
 * Phase 2, park cost: from a module's final failure to a durable incomplete execution whose
 * workflow has started, against one successful module step. Both are read from the runs' own
 * histories, one run at a time so the figures are latencies, not queueing: the module step from
 * its activity's events (scheduled → completed), the park from the failed module's last failure
 * to the park's local-activity marker (the server's timestamps both). What parking is made of comes from the worker's call
 * breakdown (instrument.ts): each store call and the IE workflow's start, and the MongoDB commands.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDefaultRegistry } from '../src/modules';
import { sample, type BenchContext } from './context';
import { activityTimings, fetchEvents, localActivityMarkers, timestampMs } from './history';
import { CallRecorder, type ActivityBreakdown } from './instrument';
import { directParker } from './park-directly';
import { assertValid, parkingBlueprint, parkingData } from './scenarios';
import { round, roundSummary, runConcurrently, summarize, type Summary } from './stats';

export interface ParkCostResult {
  runs: number;
  /**
   * The failed module's final failure (its activity failing) → the IE durable and its workflow
   * started (the park's local-activity marker recorded, which is when the run's history says so).
   */
  parkMs: Summary;
  /**
   * A successful module step measured the same way: from the workflow task that schedules its
   * activity being scheduled (right after the step before it) → the activity completed.
   */
  moduleStepMs: Summary;
  /** park / module step, both including the one workflow task each needs. */
  parkCostRatio: number;
  /** A successful runModule's activity alone, scheduled → completed. */
  moduleActivityMs: Summary;
  /** park / module activity alone: the stricter comparison (the park's workflow task against none). */
  parkVsActivityRatio: number;
  /** What one park is made of (medians, and means per park for the calls). */
  madeOf: {
    /** The park activity running in the worker (its marker's completion less its workflow task's start). */
    activityMs: number;
    /** The rest: the workflow task that runs it, and recording its marker. */
    workflowTaskMs: number;
    calls: Record<string, number>;
    unaccountedMs: number;
    mongoCommands: number;
  };
  /** The same for a successful module step and the run's execution record, for comparison. */
  moduleStep: { queueMs: number; runMs: number; mongoCommands: number };
  recordExecution: { activityMs: number; mongoCommands: number };
  /**
   * IEs parked per second by the park activity called directly into one organization, by how
   * many at once. The organization's quota ledger takes one append at a time; a process's
   * concurrent parks share one append (group commit, src/store/ie-quota.ts).
   */
  throughputByConcurrency: Record<string, number>;
  /** Where a park's time goes at each concurrency: mean ms per park of each call (they overlap). */
  parkCallsByConcurrency: Record<string, Record<string, number>>;
}

export async function measureParkCost(ctx: BenchContext): Promise<ParkCostResult> {
  const { store, imex, worker, options } = ctx;
  const scenario = await store.scenarios.create({
    orgId: ctx.orgId,
    name: 'bench: park cost',
    blueprint: assertValid(parkingBlueprint(), createDefaultRegistry()),
  });
  let counter = 0;
  const runOnce = async () => {
    const { executionId, workflowId } = await imex.startScenarioRun({
      orgId: ctx.orgId,
      scenarioId: scenario.id,
      data: parkingData(counter++),
    });
    const result = await imex.scenarioRunResult(executionId);
    const ieId = result.parked[0]?.ieId;
    if (result.status !== 'warning' || !ieId) {
      throw new Error(`the park-cost run ${executionId} did not park (status ${result.status})`);
    }
    return { workflowId, ieId };
  };

  ctx.say(`park cost: warm-up (${options.park.warmupRuns} runs)`);
  for (let i = 0; i < options.park.warmupRuns; i++) await runOnce();
  await worker.breakdown(true);

  const park = { total: [] as number[], activity: [] as number[], workflowTask: [] as number[] };
  const step = { turn: [] as number[], total: [] as number[], queue: [] as number[], run: [] as number[] };
  const record: number[] = [];
  for (let i = 0; i < options.park.runs; i++) {
    const { workflowId, ieId } = await runOnce();
    sample(ctx, 'scenarioRun (parks)', workflowId);
    sample(ctx, 'incompleteExecution', `ie-${ieId}`);
    const events = await fetchEvents(ctx.client, workflowId);
    for (const t of activityTimings(events)) {
      if (t.activityType === 'runModule' && t.ok) {
        step.turn.push(t.turnMs);
        step.total.push(t.totalMs);
        step.queue.push(t.queueMs);
        step.run.push(t.runMs);
      }
    }
    const markers = localActivityMarkers(events);
    for (const m of markers) if (m.activityType === 'recordExecution') record.push(m.ranMs);
    const failed = events.filter((e) => e.activityTaskFailedEventAttributes).at(-1);
    const parked = markers.find((m) => m.activityType === 'parkIncompleteExecution');
    if (!failed || !parked) throw new Error(`the park-cost run ${workflowId} has no failed module or no park marker`);
    const total = parked.recordedMs - timestampMs(failed.eventTime as never);
    const activity = parked.ranMs;
    park.total.push(total);
    park.activity.push(activity);
    park.workflowTask.push(total - activity);
  }

  const breakdown = await worker.breakdown(true);
  const runs = options.park.runs;
  const { perSec: throughputByConcurrency, calls: parkCallsByConcurrency } = await measureParkThroughput(ctx);
  const parkEntry = breakdown.parkIncompleteExecution;
  const calls = meansPer(parkEntry, runs);
  const activityMs = summarize(park.activity).median;
  const accounted = Object.values(calls).reduce((a, b) => a + b, 0);
  const parkMs = summarize(park.total);
  const moduleStepMs = summarize(step.turn);
  const moduleActivityMs = summarize(step.total);
  return {
    runs,
    parkMs: roundSummary(parkMs, 1),
    moduleStepMs: roundSummary(moduleStepMs, 1),
    parkCostRatio: round(parkMs.median / moduleStepMs.median, 2),
    moduleActivityMs: roundSummary(moduleActivityMs, 1),
    parkVsActivityRatio: round(parkMs.median / moduleActivityMs.median, 2),
    madeOf: {
      activityMs: round(activityMs, 1),
      workflowTaskMs: round(summarize(park.workflowTask).median, 1),
      calls,
      unaccountedMs: round(Math.max(0, activityMs - accounted), 1),
      mongoCommands: round((parkEntry?.mongoCommands ?? 0) / runs, 1),
    },
    moduleStep: {
      queueMs: round(summarize(step.queue).median, 1),
      runMs: round(summarize(step.run).median, 1),
      mongoCommands: round((breakdown.runModule?.mongoCommands ?? 0) / Math.max(1, step.total.length), 1),
    },
    recordExecution: {
      activityMs: round(summarize(record).median, 1),
      mongoCommands: round((breakdown.recordExecution?.mongoCommands ?? 0) / Math.max(1, record.length), 1),
    },
    throughputByConcurrency,
    parkCallsByConcurrency,
  };
}

/** Parks straight into a fresh organization at each concurrency, then waits for the IE workflows to settle. */
async function measureParkThroughput(
  ctx: BenchContext,
): Promise<{ perSec: Record<string, number>; calls: Record<string, Record<string, number>> }> {
  const { store, options, worker } = ctx;
  const org = await store.organizations.create({ name: 'bench: park throughput' });
  const blueprint = parkingBlueprint();
  const scenario = await store.scenarios.create({ orgId: org._id, name: 'bench: park throughput', blueprint });
  // The parks run in this process: its store and client are timed the way the worker's are.
  const recorder = new CallRecorder();
  const timedCtx = { ...ctx, store: recorder.store(store), client: recorder.client(ctx.client) };
  const park = directParker(timedCtx, org._id, scenario.id, blueprint);
  const perSec: Record<string, number> = {};
  const calls: Record<string, Record<string, number>> = {};
  let parked = 0;
  for (const concurrency of options.park.throughputConcurrency) {
    const n = options.park.throughputParks;
    recorder.reset();
    const started = performance.now();
    await runConcurrently(n, concurrency, async () => void (await park(parked++)));
    perSec[String(concurrency)] = round(n / ((performance.now() - started) / 1000), 1);
    calls[String(concurrency)] = meansPer(recorder.snapshot()['(outside activities)'], n);
    ctx.say(
      `park cost: ${perSec[String(concurrency)]} IEs/s with ${concurrency} at once (mean ms per park: ` +
        `${Object.entries(calls[String(concurrency)] ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
    );
  }
  // Each IE workflow writes its state through once when it starts: let them all be done.
  const deadline = Date.now() + 60_000 + parked * 100;
  while ((await worker.count('syncIncompleteExecution', 'incompleteExecutions.applyChange')) < parked) {
    if (Date.now() > deadline) throw new Error('the park-throughput IE workflows did not settle');
    await sleep(200);
  }
  return { perSec, calls };
}

/** Mean milliseconds per park of each call the activity made (a call made twice counts twice). */
function meansPer(entry: ActivityBreakdown[string] | undefined, runs: number): Record<string, number> {
  const means: Record<string, number> = {};
  for (const [name, stats] of Object.entries(entry?.calls ?? {})) {
    means[name] = round(stats.totalMs / runs, 2);
  }
  return means;
}
