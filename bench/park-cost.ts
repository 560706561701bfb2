/**
 * Phase 2, park cost: from a module's final failure to a durable incomplete execution whose
 * workflow has started, against one successful module step. Both are read from the runs' own
 * histories (activity scheduled → completed, the server's timestamps), one run at a time so the
 * figures are latencies, not queueing. What parking is made of comes from the worker's call
 * breakdown (instrument.ts): each store call and the IE workflow's start, and the MongoDB commands.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDefaultRegistry } from '../src/modules';
import { sample, type BenchContext } from './context';
import { activityTimings, fetchEvents, timestampMs } from './history';
import type { ActivityBreakdown } from './instrument';
import { directParker } from './park-directly';
import { assertValid, parkingBlueprint, parkingData } from './scenarios';
import { round, roundSummary, runConcurrently, summarize, type Summary } from './stats';

export interface ParkCostResult {
  runs: number;
  /** parkIncompleteExecution, scheduled → completed. */
  parkMs: Summary;
  /** A successful runModule, scheduled → completed. */
  moduleStepMs: Summary;
  parkCostRatio: number;
  /** The failed module's last attempt failing → the IE stored and its workflow started (includes a workflow task). */
  failureToParkedMs: Summary;
  /** What one park is made of (means per park). */
  madeOf: {
    queueMs: number;
    runMs: number;
    calls: Record<string, number>;
    unaccountedMs: number;
    mongoCommands: number;
  };
  /** The same for a successful module step and the run's execution record, for comparison. */
  moduleStep: { queueMs: number; runMs: number; mongoCommands: number };
  recordExecution: { totalMs: number; mongoCommands: number };
  /**
   * IEs parked per second by the park activity called directly into one organization, by how
   * many at once: the organization's quota ledger appends one entry at a time, so concurrent
   * parks of one organization retry on each other.
   */
  throughputByConcurrency: Record<string, number>;
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

  const park = { total: [] as number[], queue: [] as number[], run: [] as number[] };
  const step = { total: [] as number[], queue: [] as number[], run: [] as number[] };
  const record: number[] = [];
  const failureToParked: number[] = [];
  for (let i = 0; i < options.park.runs; i++) {
    const { workflowId, ieId } = await runOnce();
    sample(ctx, 'scenarioRun (parks)', workflowId);
    sample(ctx, 'incompleteExecution', `ie-${ieId}`);
    const events = await fetchEvents(ctx.client, workflowId);
    for (const t of activityTimings(events)) {
      if (t.activityType === 'parkIncompleteExecution') {
        park.total.push(t.totalMs);
        park.queue.push(t.queueMs);
        park.run.push(t.runMs);
      } else if (t.activityType === 'runModule' && t.ok) {
        step.total.push(t.totalMs);
        step.queue.push(t.queueMs);
        step.run.push(t.runMs);
      } else if (t.activityType === 'recordExecution') {
        record.push(t.totalMs);
      }
    }
    const failed = events.filter((e) => e.activityTaskFailedEventAttributes).at(-1);
    const parkedAt = events.find((e) => e.activityTaskCompletedEventAttributes && isParkCompletion(events, e));
    if (failed && parkedAt) {
      failureToParked.push(timestampMs(parkedAt.eventTime as never) - timestampMs(failed.eventTime as never));
    }
  }

  const breakdown = await worker.breakdown(true);
  const runs = options.park.runs;
  const throughputByConcurrency = await measureParkThroughput(ctx);
  const parkEntry = breakdown.parkIncompleteExecution;
  const calls = meansPer(parkEntry, runs);
  const parkRun = summarize(park.run).median;
  const accounted = Object.values(calls).reduce((a, b) => a + b, 0);
  const parkMs = summarize(park.total);
  const moduleStepMs = summarize(step.total);
  return {
    runs,
    parkMs: roundSummary(parkMs, 1),
    moduleStepMs: roundSummary(moduleStepMs, 1),
    parkCostRatio: round(parkMs.median / moduleStepMs.median, 2),
    failureToParkedMs: roundSummary(summarize(failureToParked), 1),
    madeOf: {
      queueMs: round(summarize(park.queue).median, 1),
      runMs: round(parkRun, 1),
      calls,
      unaccountedMs: round(Math.max(0, parkRun - accounted), 1),
      mongoCommands: round((parkEntry?.mongoCommands ?? 0) / runs, 1),
    },
    moduleStep: {
      queueMs: round(summarize(step.queue).median, 1),
      runMs: round(summarize(step.run).median, 1),
      mongoCommands: round((breakdown.runModule?.mongoCommands ?? 0) / Math.max(1, step.total.length), 1),
    },
    recordExecution: {
      totalMs: round(summarize(record).median, 1),
      mongoCommands: round((breakdown.recordExecution?.mongoCommands ?? 0) / Math.max(1, record.length), 1),
    },
    throughputByConcurrency,
  };
}

/** Parks straight into a fresh organization at each concurrency, then waits for the IE workflows to settle. */
async function measureParkThroughput(ctx: BenchContext): Promise<Record<string, number>> {
  const { store, options, worker } = ctx;
  const org = await store.organizations.create({ name: 'bench: park throughput' });
  const blueprint = parkingBlueprint();
  const scenario = await store.scenarios.create({ orgId: org._id, name: 'bench: park throughput', blueprint });
  const park = directParker(ctx, org._id, scenario.id, blueprint);
  const perSec: Record<string, number> = {};
  let parked = 0;
  for (const concurrency of options.park.throughputConcurrency) {
    const n = options.park.throughputParks;
    const started = performance.now();
    await runConcurrently(n, concurrency, async () => void (await park(parked++)));
    perSec[String(concurrency)] = round(n / ((performance.now() - started) / 1000), 1);
    ctx.say(`park cost: ${perSec[String(concurrency)]} IEs/s with ${concurrency} at once`);
  }
  // Each IE workflow writes its state through once when it starts: let them all be done.
  const deadline = Date.now() + 60_000 + parked * 100;
  while ((await worker.count('syncIncompleteExecution', 'incompleteExecutions.applyChange')) < parked) {
    if (Date.now() > deadline) throw new Error('the park-throughput IE workflows did not settle');
    await sleep(200);
  }
  return perSec;
}

function isParkCompletion(
  events: Awaited<ReturnType<typeof fetchEvents>>,
  completed: (typeof events)[number],
): boolean {
  const scheduledId = Number(completed.activityTaskCompletedEventAttributes?.scheduledEventId);
  const scheduled = events.find((e) => Number(e.eventId) === scheduledId);
  return scheduled?.activityTaskScheduledEventAttributes?.activityType?.name === 'parkIncompleteExecution';
}

/** Mean milliseconds per park of each call the activity made (a call made twice counts twice). */
function meansPer(entry: ActivityBreakdown[string] | undefined, runs: number): Record<string, number> {
  const means: Record<string, number> = {};
  for (const [name, stats] of Object.entries(entry?.calls ?? {})) {
    means[name] = round(stats.totalMs / runs, 2);
  }
  return means;
}
