/**
 * Phase outage storm (issue 15): a service that many scenarios call goes down, every run fails at
 * about the same moment, and all of them must be parked fast and exactly once while live runs go
 * on; then the service comes back and every incomplete execution must resolve by itself, once.
 *
 * In an organization of its own: S scenarios (webhook → `http:ActionSendData` to a local HTTP
 * server the bench controls, bench/chaos/downstream.ts) with their own auto-retry schedule
 * (`imex.schedule`, STORM_SCHEDULE: 30 s, 10 s, 10 s, 30 s, …), and an unaffected 5-module
 * scenario whose runs on demand are timed one after the other throughout (the live probe).
 *
 * 1. Quiet: the probe alone. 2. Storm: the service is down and N webhooks are posted at once
 *    across the S scenarios; each run fails (ConnectionError after its in-run retries) and parks.
 *    Failure → durable is the service's last 503 to the run's bundle → the IE document's
 *    `created`. The outage then lasts a little longer (auto-retries fail meanwhile).
 * 3. Recovery: the service answers 200 again; every IE must resolve by its own schedule, and the
 *    service must have applied each bundle exactly once. 4. Bulk retry: IEs of another scenario
 *    (parked for a person, before the storm) are retried in one `POST /dlqs/retry` while the
 *    probe runs: attempts and bulk work at a lower task-queue priority than live runs.
 *
 * The quota limit is set just above what the storm needs (110 %): the peak (the highest total
 * the ledger ever recorded) must never pass it. The longest workflow task of any imex workflow
 * comes from the histories of the organization's workflows (a sample in the full run) and its
 * scenarios' coordinators, each task counted in the window it started in.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { coordinatorWorkflowId, makeRetrySchedule, runWorkflowId, type RetrySchedule } from '../src/domain';
import { createDefaultRegistry } from '../src/modules';
import { startBenchApi } from './api';
import { Downstream } from './chaos/downstream';
import { chaosBlueprint } from './chaos/scenarios';
import { sample, type BenchContext } from './context';
import { bulkRetry } from './growth';
import { activityTimings, fetchEvents, workflowTaskTimings, type WorkflowTaskTiming } from './history';
import { directParker } from './park-directly';
import { assertValid, fiveModuleBlueprint, parkingBlueprint, runData } from './scenarios';
import { formatRows, percentile, round, runConcurrently } from './stats';
import { latency, postWebhook, type LatencyFigures } from './webhook-burst';

/**
 * Make's auto-retry schedule at 1/60 (10 s, 10 s, 30 s, 30 s, 30 s, 3 min, 3 min) but for its first
 * step, 30 s instead of 1 s: with Make's minute, a storm of a few seconds is parked before any of
 * its IEs retries; at 1 s the storm's own attempts would hold the scenarios' runs back (Make: no
 * run while an attempt holds a slot) and the phase would time that, not parking.
 */
export const STORM_SCHEDULE: RetrySchedule = [30_000, ...makeRetrySchedule.slice(1).map((ms) => ms / 60)];
/** The quota limit over what the storm's IEs need. */
const QUOTA_HEADROOM = 1.1;
const WORKFLOW_TASK_GOAL_MS = 1000;
const LIVE_P95_GOAL_RATIO = 1.5;
/** The live probe's windows; workflow tasks are counted in the last three. */
type WindowName = 'quiet' | 'storm' | 'recovery' | 'bulkRetry';
type BusyWindow = Exclude<WindowName, 'quiet'>;

export interface LiveFigures {
  n: number;
  failed: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface LongestTask {
  ms: number;
  workflowId: string;
  workflowType: string;
  /** Local activities the task ran (it stays open while they run: a park, a store write). */
  localActivities: number;
  /** Tasks over the goal (1 s) among those read. */
  over1s: number;
  /** The longest task that ran no local activity (its time is the worker's, not the store's). */
  withoutLocalActivitiesMs: number;
}

/** Where the slowest live run of a window spent its time, from its history. */
export interface LiveRunBreakdown {
  executionId: string;
  ms: number;
  /** Its workflow tasks waiting in the task queue, and running (the worker's share, local activities in it). */
  workflowTaskQueueMs: number;
  workflowTaskRunMs: number;
  /** Its activities waiting in the task queue, and running. */
  activityQueueMs: number;
  activityRunMs: number;
}

export interface OutageStormResult {
  scenarios: number;
  runs: number;
  scheduleMs: number[];
  storm: {
    accepted: number;
    /** First post → last answer. */
    allAnsweredMs: number;
    /** IEs stored for the storm's runs (one each expected). */
    parked: number;
    /** Accepted runs without an IE within the cap. */
    notParked: number;
    /** Runs with more than one IE. */
    duplicateIes: number;
    /** IEs per second, from the first failure to the last IE durable. */
    parksPerSec: number;
    /** First post → last IE durable. */
    allParkedMs: number;
    failureToDurable: LatencyFigures;
    /** The outage went on this long after the last IE was durable (auto-retries failing). */
    heldMs: number;
  };
  quota: { limitBytes: number; peakUsedBytes: number; finalUsedBytes: number; exceeded: boolean };
  recovery: {
    /** IEs resolved / the storm's IEs. */
    resolved: number;
    total: number;
    /** The service back → every IE resolved (null: not within the cap). */
    allResolvedMs: number | null;
    /** The service back → each IE resolved. */
    resolvedAfter: LatencyFigures;
    /** Attempts per IE until resolved (failed ones during the outage included). */
    attempts: { min: number; median: number; max: number };
    /** Bundles the service applied once, never, more than once (a duplicate side effect). */
    appliedOnce: number;
    appliedNever: number;
    appliedMoreThanOnce: number;
    exactlyOnce: boolean;
  };
  bulkRetry: {
    count: number;
    /** Until the operation completed (every attempt started). */
    acceptedMs: number;
    completed: boolean;
    /** Until every retried IE's attempt ended (null: not within the cap). */
    settledMs: number | null;
  };
  live: Record<WindowName, LiveFigures>;
  /** The slowest live run of the storm and of the bulk retry, taken apart. */
  slowestLiveRun: { storm: LiveRunBreakdown | null; bulkRetry: LiveRunBreakdown | null };
  /** The longest workflow task that started in each window (quiet excluded). */
  longestWorkflowTask: Record<BusyWindow, LongestTask>;
  /** Workflows whose histories were read, of those the organization ran. */
  historiesRead: number;
  historiesListed: number;
}

interface LiveSample {
  at: number;
  ms: number;
  ok: boolean;
  executionId?: string;
}

/** Runs on demand of the unaffected scenario, one after the other, until stopped. */
function probeLiveRuns(ctx: BenchContext, orgId: number, scenarioId: number) {
  const samples: LiveSample[] = [];
  let running = true;
  let counter = 0;
  const loop = (async () => {
    while (running) {
      const at = Date.now();
      let ok = false;
      let executionId: string | undefined;
      try {
        ({ executionId } = await ctx.imex.startScenarioRun({ orgId, scenarioId, data: runData(counter++) }));
        ok = (await ctx.imex.scenarioRunResult(executionId)).status === 'success';
      } catch {
        // counted as failed; the probe goes on
      }
      samples.push({ at, ms: Date.now() - at, ok, ...(executionId ? { executionId } : {}) });
      await sleep(100);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
    },
  };
}

function liveFigures(samples: LiveSample[], from: number, to: number): LiveFigures {
  const inside = samples.filter((s) => s.at >= from && s.at < to);
  const ms = inside.filter((s) => s.ok).map((s) => s.ms);
  return {
    n: ms.length,
    failed: inside.length - ms.length,
    p50Ms: round(percentile(ms, 50), 0),
    p95Ms: round(percentile(ms, 95), 0),
    maxMs: round(ms.length ? Math.max(...ms) : NaN, 0),
  };
}

async function until(what: () => Promise<boolean>, capMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + capMs;
  for (;;) {
    if (await what()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

export async function measureOutageStorm(ctx: BenchContext): Promise<OutageStormResult> {
  const o = ctx.options.outageStorm;
  const { store } = ctx;
  const registry = createDefaultRegistry();
  const org = await store.organizations.create({ name: 'bench: outage storm' });
  const orgId = org._id;
  const downstream = await new Downstream(new Set(), Math.random, 10).start();
  const api = await startBenchApi(store, ctx.imex, orgId);
  const ies = store.incompleteExecutions.collection;
  try {
    const affected: { id: number; hookId: string }[] = [];
    for (let i = 0; i < o.scenarios; i++) {
      const blueprint = chaosBlueprint('webhook', downstream.url('/effects'), STORM_SCHEDULE);
      const s = await store.scenarios.create({
        orgId,
        name: `bench: outage storm ${i + 1}`,
        blueprint: assertValid({ ...blueprint, name: `bench: outage storm ${i + 1}` }, registry),
      });
      if (!s.hookId) throw new Error('a scenario with a webhook trigger got no hook');
      affected.push({ id: s.id, hookId: s.hookId });
    }
    const unaffected = await store.scenarios.create({
      orgId,
      name: 'bench: outage storm, unaffected',
      blueprint: assertValid(fiveModuleBlueprint(), registry),
    });
    const parking = assertValid(parkingBlueprint(), registry);
    const bulkScenario = await store.scenarios.create({ orgId, name: 'bench: outage storm, bulk', blueprint: parking });

    // IEs for the bulk retry, parked for a person (they stay until asked), before anything is timed.
    ctx.say(`outage storm: parking ${o.bulkRetryCount} IEs for the bulk retry`);
    const park = directParker(ctx, orgId, bulkScenario.id, parking);
    const bulkIds: string[] = [];
    await runConcurrently(o.bulkRetryCount, 4, async (i) => void bulkIds.push(await park(i)));

    // One run parks first (the service is down from the start): its IE's size sets the limit.
    const keys = new Map<string, string>(); // run key → execution id
    const warmup = await postWebhook(api, affected[0]!.hookId, { run: 'storm-warmup' });
    if (!warmup.executionId) throw new Error(`the warm-up webhook was answered ${warmup.status}`);
    keys.set('storm-warmup', warmup.executionId);
    await until(async () => (await ies.countDocuments({ executionId: warmup.executionId })) > 0, 60_000);
    const warmupIe = await ies.findOne({ executionId: warmup.executionId });
    if (!warmupIe) throw new Error('the warm-up run parked nothing within 60 s');
    const usedBefore = (await store.quota.usage(orgId)).used;
    const limitBytes = usedBefore + Math.ceil(o.runs * warmupIe.size * QUOTA_HEADROOM);
    await store.organizations.setQuota(orgId, limitBytes);

    const probe = probeLiveRuns(ctx, orgId, unaffected.id);
    const quietAt = Date.now();
    ctx.say(`outage storm: quiet (${o.quietRuns} live runs)`);
    await until(async () => probe.samples.filter((s) => s.ok).length >= o.quietRuns, 120_000);
    // The park activity caches the limit for 5 s (activities/quota-limit.ts): the new one holds by now.
    await sleep(Math.max(0, quietAt + 6000 - Date.now()));

    // The storm.
    ctx.say(`outage storm: the service is down; ${o.runs} webhooks across ${o.scenarios} scenarios`);
    const stormAt = Date.now();
    const answers = await Promise.all(
      Array.from({ length: o.runs }, (_, i) =>
        postWebhook(api, affected[i % affected.length]!.hookId, { run: `storm-${i}` }).then((a) => ({ ...a, i })),
      ),
    );
    const allAnsweredMs = Date.now() - stormAt;
    for (const a of answers) if (a.status === 202 && a.executionId) keys.set(`storm-${a.i}`, a.executionId);
    const stormIds = [...keys.entries()].filter(([k]) => k !== 'storm-warmup').map(([, id]) => id);
    await until(
      async () => (await ies.countDocuments({ executionId: { $in: stormIds } })) >= stormIds.length,
      o.parkCapMs,
    );
    const parkedDocs = await ies
      .find({ executionId: { $in: stormIds } }, { projection: { _id: 1, executionId: 1, created: 1 } })
      .toArray();
    const lastDurable = Math.max(...parkedDocs.map((d) => d.created.getTime()));
    ctx.say(`outage storm: ${parkedDocs.length} of ${stormIds.length} parked; the outage goes on ${o.holdMs} ms`);
    await sleep(o.holdMs);

    // Failure → durable, from the service's log: the last 503 to the run's bundle before its IE.
    const failures = new Map<string, number[]>();
    for (const r of downstream.requests) {
      if (r.status !== 503) continue;
      const ats = failures.get(r.identity) ?? [];
      ats.push(r.at);
      failures.set(r.identity, ats);
    }
    const keyOf = new Map([...keys.entries()].map(([k, id]) => [id, k]));
    const failureToDurable: number[] = [];
    let firstFailure = Infinity;
    for (const doc of parkedDocs) {
      const created = doc.created.getTime();
      const failedAt = (failures.get(`${keyOf.get(doc.executionId)}:0`) ?? []).filter((at) => at <= created).at(-1);
      if (failedAt === undefined) continue;
      firstFailure = Math.min(firstFailure, failedAt);
      failureToDurable.push(created - failedAt);
    }
    const perRun = new Map<string, number>();
    for (const doc of parkedDocs) perRun.set(doc.executionId, (perRun.get(doc.executionId) ?? 0) + 1);

    // Recovery: every IE of the storm (and the warm-up's) must resolve by its schedule.
    ctx.say('outage storm: the service is back; waiting for every IE to resolve');
    downstream.recover();
    const recoveryAt = Date.now();
    const allIeIds = (
      await ies.find({ executionId: { $in: [...keys.values()] } }, { projection: { _id: 1 } }).toArray()
    ).map((d) => d._id);
    const allResolved = await until(
      async () => (await ies.countDocuments({ _id: { $in: allIeIds }, status: 'resolved' })) >= allIeIds.length,
      o.resolveCapMs,
      500,
    );
    const resolvedAt = Date.now();
    // A late duplicate would show within moments.
    await sleep(2000);
    const resolvedDocs = await ies
      .find({ _id: { $in: allIeIds } }, { projection: { status: 1, attempts: 1, resolvedAt: 1 } })
      .toArray();
    const resolved = resolvedDocs.filter((d) => d.status === 'resolved');
    const successes = new Map<string, number>();
    for (const r of downstream.requests) {
      if (r.status === 200) successes.set(r.identity, (successes.get(r.identity) ?? 0) + 1);
    }
    const applied = [...keys.keys()].map((k) => successes.get(`${k}:0`) ?? 0);
    const attempts = resolvedDocs.map((d) => d.attempts).sort((a, b) => a - b);
    const appliedOnce = applied.filter((n) => n === 1).length;
    const duplicateIes = [...perRun.values()].filter((n) => n > 1).length;

    // Bulk retry while live runs go on.
    ctx.say(`outage storm: bulk retry of ${bulkIds.length} IEs`);
    const bulkAt = Date.now();
    const bulk = await bulkRetry(api, bulkScenario.id, bulkIds, o.bulkCapMs);
    const settled = await until(
      async () =>
        (await ies.countDocuments({ _id: { $in: bulkIds }, attempts: { $gte: 1 }, status: 'unresolved' })) >=
        bulkIds.length,
      o.bulkCapMs,
      500,
    );
    const endAt = Date.now();
    await probe.stop();
    const operation = await store.bulkOperations.operations.findOne({ orgId, scenarioId: bulkScenario.id });
    ctx.say('outage storm: reading workflow histories');
    const tasks = await longestTasks(ctx, orgId, [
      ...affected.map((s) => coordinatorWorkflowId(ctx.imexTaskQueue, s.id)),
      ...(operation ? [`bulk-${operation._id}`] : []),
    ]);
    const windowOf = (at: number): BusyWindow | undefined =>
      at >= bulkAt && at < endAt
        ? 'bulkRetry'
        : at >= recoveryAt && at < resolvedAt
          ? 'recovery'
          : at >= stormAt && at < recoveryAt
            ? 'storm'
            : undefined;
    const none = (): LongestTask => ({
      ms: 0,
      workflowId: '',
      workflowType: '',
      localActivities: 0,
      over1s: 0,
      withoutLocalActivitiesMs: 0,
    });
    const longest = { storm: none(), recovery: none(), bulkRetry: none() };
    for (const task of tasks.tasks) {
      const w = windowOf(task.startedMs);
      if (w === undefined) continue;
      const l = longest[w];
      if (task.ms > WORKFLOW_TASK_GOAL_MS) l.over1s += 1;
      if (task.localActivities === 0)
        l.withoutLocalActivitiesMs = Math.max(l.withoutLocalActivitiesMs, round(task.ms, 0));
      if (task.ms > l.ms) {
        Object.assign(l, {
          ms: round(task.ms, 0),
          workflowId: task.workflowId,
          workflowType: task.type,
          localActivities: task.localActivities,
        });
      }
    }
    for (const doc of parkedDocs.slice(0, 2)) sample(ctx, 'incompleteExecution (storm)', `ie-${doc._id}`);

    const ledger = await store.db
      .collection<{ orgId: number; usedAfter: unknown }>('ie_quota_ledger')
      .find({ orgId }, { projection: { usedAfter: 1 } })
      .toArray();
    const peakUsedBytes = Math.max(0, ...ledger.map((e) => Number(e.usedAfter)));
    const finalUsedBytes = (await store.quota.usage(orgId)).used;
    const sinceRecovery = resolved.map((d) => (d.resolvedAt?.getTime() ?? NaN) - recoveryAt);
    return {
      scenarios: o.scenarios,
      runs: o.runs,
      scheduleMs: [...STORM_SCHEDULE],
      storm: {
        accepted: stormIds.length,
        allAnsweredMs,
        parked: parkedDocs.length,
        notParked: stormIds.length - perRun.size,
        duplicateIes,
        parksPerSec: round(parkedDocs.length / ((lastDurable - firstFailure) / 1000), 1),
        allParkedMs: lastDurable - stormAt,
        failureToDurable: latency(failureToDurable),
        heldMs: o.holdMs,
      },
      quota: { limitBytes, peakUsedBytes, finalUsedBytes, exceeded: peakUsedBytes > limitBytes },
      recovery: {
        resolved: resolved.length,
        total: allIeIds.length,
        allResolvedMs: allResolved ? resolvedAt - recoveryAt : null,
        resolvedAfter: latency(sinceRecovery.filter(Number.isFinite)),
        attempts: { min: attempts[0] ?? NaN, median: percentile(attempts, 50), max: attempts.at(-1) ?? NaN },
        appliedOnce,
        appliedNever: applied.filter((n) => n === 0).length,
        appliedMoreThanOnce: applied.filter((n) => n > 1).length,
        exactlyOnce:
          allResolved &&
          appliedOnce === keys.size &&
          downstream.redeliveries === 0 &&
          duplicateIes === 0 &&
          perRun.size === stormIds.length,
      },
      bulkRetry: {
        count: bulkIds.length,
        acceptedMs: round(bulk.ms, 0),
        completed: bulk.completed,
        settledMs: settled ? endAt - bulkAt : null,
      },
      live: {
        quiet: liveFigures(probe.samples, quietAt, stormAt),
        storm: liveFigures(probe.samples, stormAt, recoveryAt),
        recovery: liveFigures(probe.samples, recoveryAt, resolvedAt),
        bulkRetry: liveFigures(probe.samples, bulkAt, endAt),
      },
      slowestLiveRun: {
        storm: await slowestLiveRun(ctx, probe.samples, stormAt, recoveryAt),
        bulkRetry: await slowestLiveRun(ctx, probe.samples, bulkAt, endAt),
      },
      longestWorkflowTask: longest,
      historiesRead: tasks.read,
      historiesListed: tasks.listed,
    };
  } finally {
    await api.close();
    await downstream.stop();
  }
}

async function slowestLiveRun(
  ctx: BenchContext,
  samples: LiveSample[],
  from: number,
  to: number,
): Promise<LiveRunBreakdown | null> {
  const slowest = samples
    .filter((s) => s.ok && s.executionId && s.at >= from && s.at < to)
    .sort((a, b) => b.ms - a.ms)[0];
  if (!slowest?.executionId) return null;
  const events = await fetchEvents(ctx.client, runWorkflowId(slowest.executionId)).catch(() => []);
  const tasks = workflowTaskTimings(events);
  const activities = activityTimings(events);
  const sum = (values: number[]) =>
    round(
      values.reduce((a, b) => a + b, 0),
      0,
    );
  return {
    executionId: slowest.executionId,
    ms: slowest.ms,
    workflowTaskQueueMs: sum(tasks.map((t) => t.queueMs)),
    workflowTaskRunMs: sum(tasks.map((t) => t.ms)),
    activityQueueMs: sum(activities.map((a) => a.queueMs)),
    activityRunMs: sum(activities.map((a) => a.runMs)),
  };
}

interface TimedTask extends WorkflowTaskTiming {
  workflowId: string;
  type: string;
}

/**
 * Every workflow task of the organization's workflows (listed by their `ImexOrgId`; an even
 * sample of at most `historySample` of them) and of `extra` workflows (every run of each).
 */
async function longestTasks(
  ctx: BenchContext,
  orgId: number,
  extra: string[],
): Promise<{ tasks: TimedTask[]; read: number; listed: number }> {
  const listed: { workflowId: string; runId?: string; type: string }[] = [];
  for await (const w of ctx.client.workflow.list({ query: `ImexOrgId = '${orgId}'` })) {
    listed.push({ workflowId: w.workflowId, runId: w.runId, type: w.type });
  }
  const limit = ctx.options.outageStorm.historySample;
  const step = Math.max(1, listed.length / limit);
  const chosen: { workflowId: string; runId?: string; type: string }[] = [];
  for (let i = 0; i < listed.length && chosen.length < limit; i += step) chosen.push(listed[Math.floor(i)]!);
  const seen = new Set(chosen.map((w) => `${w.workflowId}/${w.runId}`));
  for (const workflowId of extra) {
    for await (const w of ctx.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      if (!seen.has(`${workflowId}/${w.runId}`)) chosen.push({ workflowId, runId: w.runId, type: w.type });
    }
  }
  const tasks: TimedTask[] = [];
  await runConcurrently(chosen.length, 4, async (i) => {
    const w = chosen[i]!;
    const events = await fetchEvents(ctx.client, w.workflowId, w.runId).catch(() => []);
    for (const t of workflowTaskTimings(events)) tasks.push({ workflowId: w.workflowId, type: w.type, ...t });
  });
  return { tasks, read: chosen.length, listed: listed.length };
}

type Goal = { goal: string; met: boolean | null };

export function outageStormGoals(r: OutageStormResult): Record<string, Goal> {
  const longest = Math.max(...Object.values(r.longestWorkflowTask).map((t) => t.ms));
  const within = (w: LiveFigures) =>
    Number.isFinite(w.p95Ms) && Number.isFinite(r.live.quiet.p95Ms)
      ? w.p95Ms <= LIVE_P95_GOAL_RATIO * r.live.quiet.p95Ms
      : null;
  return {
    outageStormWorkflowTask: {
      goal: `no workflow task of an imex workflow over ${WORKFLOW_TASK_GOAL_MS} ms (storm, recovery, bulk retry)`,
      met: longest <= WORKFLOW_TASK_GOAL_MS,
    },
    outageStormLiveDuringStorm: {
      goal: `the unaffected scenario's p95 during the storm within ${LIVE_P95_GOAL_RATIO}x of quiet`,
      met: within(r.live.storm),
    },
    outageStormLiveDuringBulkRetry: {
      goal: `the unaffected scenario's p95 during the bulk retry within ${LIVE_P95_GOAL_RATIO}x of quiet`,
      met: within(r.live.bulkRetry),
    },
    outageStormQuota: { goal: 'the quota never exceeded (the ledger’s peak ≤ the limit)', met: !r.quota.exceeded },
    outageStormExactlyOnce: {
      goal: 'every run parked once, every IE auto-resolved, each bundle applied by the service exactly once',
      met: r.recovery.exactlyOnce,
    },
  };
}

export function outageStormRows(r: OutageStormResult): [string, string, string][] {
  const goals = outageStormGoals(r);
  const mark = (g: Goal | undefined) => (g?.met === true ? '(met)' : g?.met === false ? '(missed)' : '');
  const s = r.storm;
  const live = (w: LiveFigures) => `${w.p50Ms} / ${w.p95Ms} (${w.n} runs${w.failed ? `, ${w.failed} failed` : ''})`;
  const breakdown = (b: LiveRunBreakdown | null) =>
    b
      ? `${b.ms}: workflow tasks ${b.workflowTaskQueueMs} queued + ${b.workflowTaskRunMs} run, ` +
        `activities ${b.activityQueueMs} queued + ${b.activityRunMs} run`
      : 'n/a';
  const task = (t: LongestTask) =>
    `${t.ms} (${t.workflowType}${t.localActivities ? `, ${t.localActivities} local activities` : ''}; ` +
    `${t.over1s} over 1 s; without local activities ${t.withoutLocalActivitiesMs})`;
  return [
    [
      `outage storm: ${r.runs} runs across ${r.scenarios} scenarios`,
      `${s.parked} parked, ${s.parksPerSec} parks/s (all in ${s.allParkedMs} ms)`,
      '',
    ],
    [
      '  failure → IE durable p50 / p99 / max ms',
      `${s.failureToDurable.p50Ms} / ${s.failureToDurable.p99Ms} / ${s.failureToDurable.maxMs}`,
      '',
    ],
    ['  not parked / runs with 2+ IEs', `${s.notParked} / ${s.duplicateIes}`, '0 / 0'],
    [
      '  quota peak / final / limit bytes',
      `${r.quota.peakUsedBytes} / ${r.quota.finalUsedBytes} / ${r.quota.limitBytes}`,
      `never over ${mark(goals.outageStormQuota)}`,
    ],
    ['  live p50 / p95 ms: quiet', live(r.live.quiet), ''],
    ['  live p50 / p95 ms: storm', live(r.live.storm), `p95 <= 1.5x quiet ${mark(goals.outageStormLiveDuringStorm)}`],
    ['  slowest live run of the storm ms', breakdown(r.slowestLiveRun.storm), ''],
    ['  live p50 / p95 ms: recovery', live(r.live.recovery), ''],
    [
      '  live p50 / p95 ms: bulk retry',
      live(r.live.bulkRetry),
      `p95 <= 1.5x quiet ${mark(goals.outageStormLiveDuringBulkRetry)}`,
    ],
    ['  slowest live run of the bulk retry ms', breakdown(r.slowestLiveRun.bulkRetry), ''],
    [
      '  longest workflow task ms: storm',
      task(r.longestWorkflowTask.storm),
      `<= 1000 ${mark(goals.outageStormWorkflowTask)}`,
    ],
    ['  longest workflow task ms: recovery', task(r.longestWorkflowTask.recovery), ''],
    ['  longest workflow task ms: bulk retry', task(r.longestWorkflowTask.bulkRetry), ''],
    [
      '  recovery: all resolved in ms (each: p50 / max)',
      `${r.recovery.allResolvedMs ?? `not within the cap (${r.recovery.resolved}/${r.recovery.total})`} (${r.recovery.resolvedAfter.p50Ms} / ${r.recovery.resolvedAfter.maxMs})`,
      '',
    ],
    [
      '  applied once / never / more than once',
      `${r.recovery.appliedOnce} / ${r.recovery.appliedNever} / ${r.recovery.appliedMoreThanOnce}`,
      `exactly once ${mark(goals.outageStormExactlyOnce)}`,
    ],
    [
      `  bulk retry of ${r.bulkRetry.count}: started / settled ms`,
      `${r.bulkRetry.acceptedMs}${r.bulkRetry.completed ? '' : ' (not completed)'} / ${r.bulkRetry.settledMs ?? 'not within the cap'}`,
      '',
    ],
  ];
}

/** The phase alone (`--only outage-storm`). */
export function formatOutageStorm(r: OutageStormResult): string {
  return formatRows(outageStormRows(r));
}
