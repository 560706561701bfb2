/**
 * Phase 3, growth: how imex behaves as parked work piles up. At each level of parked IEs: the
 * worker's RSS (its own process; the workflow cache is bounded by `maxCachedWorkflows`), the time
 * to list one page of IEs through the real API by scenario and by status, and the time to
 * bulk-retry a batch of IEs through the API (`POST /dlqs/retry`, then its operation until
 * completed: every IE's attempt started).
 *
 * IEs are parked by calling imex's park activity directly (park-directly.ts): real IE documents
 * and real IE workflows, without the runs around them. All go to one organization and scenario
 * (the case the list pages are about), with few at once: the organization's quota ledger takes
 * one reservation at a time and slows down under contention (park-cost.ts measures it). Parking
 * stops before a level it would not reach within the parking budget.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDefaultRegistry } from '../src/modules';
import { coordinatorWorkflowId } from '../src/domain';
import { startBenchApi, type BenchApi } from './api';
import { sample, type BenchContext } from './context';
import { fetchEvents, longestWorkflowTaskMs } from './history';
import { directParker } from './park-directly';
import { assertValid, parkingBlueprint } from './scenarios';
import { round, roundSummary, runConcurrently, summarize, type Summary } from './stats';

export interface GrowthLevel {
  parked: number;
  workerRssMb: number;
  workerHeapMb: number;
  /** Workflows in the imex worker's cache (bounded by maxCachedWorkflows). */
  cachedWorkflows: number;
  listByScenarioMs: Summary;
  listByStatusMs: Summary;
  /** IEs parked per second just before this level (the last chunk). */
  parkRatePerSec: number;
  /** settledMs: until every attempt finished; null when that took longer than the settle cap. */
  /** acceptedMs: until the operation completed, or until the cap (completed false: a lower bound). */
  bulkRetry: {
    count: number;
    acceptedMs: number;
    completed: boolean;
    settledMs: number | null;
    accepted: number;
    /**
     * The longest workflow task (started → completed) in the histories of the bulk operation,
     * the scenario's coordinator (every run of it) and the retried IEs. Goal ≤ 1 s.
     */
    longestWorkflowTask: { ms: number; workflowId: string };
  };
}

export interface GrowthResult {
  method: string;
  parkRatePerSec: number;
  baselineRssMb: number;
  /** Workflows cached when the baseline was taken (those of the earlier phases). */
  baselineCachedWorkflows: number;
  /**
   * RSS growth over the workflows cached since the baseline, at the first level where the cache is
   * full (maxCachedWorkflows): what one cached workflow costs. Null when the cache never filled.
   */
  rssPerCachedWorkflowMb: number | null;
  /**
   * The same from the worker's start (nothing cached, nothing run): an upper bound, with the
   * worker's warm-up in it, that small caches measure more steadily than the marginal figure.
   */
  rssPerCachedWorkflowFromStartMb: number | null;
  levels: GrowthLevel[];
  stoppedAt: number;
  stopReason: string;
}

const BULK_POLL_MS = 100;

export async function measureGrowth(ctx: BenchContext): Promise<GrowthResult> {
  const { options, store, worker } = ctx;
  const registry = createDefaultRegistry();
  const blueprint = assertValid(parkingBlueprint(), registry);
  const scenario = await store.scenarios.create({ orgId: ctx.orgId, name: 'bench: growth', blueprint });
  const park = directParker(ctx, ctx.orgId, scenario.id, blueprint);
  const api = await startBenchApi(store, ctx.imex, ctx.orgId);
  try {
    await worker.breakdown(true);
    // Every IE workflow writes its state through once when it starts, and twice per attempt.
    let expectedSyncs = 0;
    /** Waits until the worker has done every expected write-through; false when the time is up. */
    const settle = async (timeoutMs: number): Promise<boolean> => {
      const deadline = Date.now() + timeoutMs;
      while ((await worker.count('syncIncompleteExecution', 'incompleteExecutions.applyChange')) < expectedSyncs) {
        if (Date.now() > deadline) return false;
        await sleep(250);
      }
      return true;
    };

    await sleep(1000);
    const baseline = await worker.memory();
    const baselineRssMb = baseline.rss / 2 ** 20;
    const levels: GrowthLevel[] = [];
    const fresh: string[] = [];
    let parked = 0;
    let parkingMs = 0;
    let stopReason = `every level measured (${options.growth.levels.join(', ')})`;
    const budgetMs = options.growth.parkingBudgetMs;

    for (const level of options.growth.levels) {
      ctx.say(`growth: parking ${level - parked} IEs (to ${level})`);
      // In chunks, so that a parking rate that falls as IEs pile up stops at the budget, not hours later.
      let chunkRate = 0;
      while (parked < level && parkingMs < budgetMs) {
        const chunk = Math.min(options.growth.parkChunk, level - parked);
        const started = performance.now();
        const from = parked;
        await runConcurrently(chunk, options.growth.parkConcurrency, async (i) => {
          fresh.push(await park(from + i));
        });
        const ms = performance.now() - started;
        parkingMs += ms;
        parked += chunk;
        chunkRate = (chunk / ms) * 1000;
      }
      expectedSyncs = parked + 2 * levels.reduce((n, l) => n + l.bulkRetry.accepted, 0);
      if (parked < level) {
        stopReason =
          `stopped at ${parked} on the way to ${level}: the ${Math.round(budgetMs / 1000)} s parking budget was spent; ` +
          `parking had slowed to ${round(chunkRate, 1)} IEs/s (${round((parked / parkingMs) * 1000, 1)} IEs/s overall)`;
      }
      const settled = await settle(options.growth.settleCapMs);
      ctx.say(
        `growth: ${parked} parked (last ${options.growth.parkChunk}: ${round(chunkRate, 1)} IEs/s)${settled ? '' : ', not settled'}`,
      );

      await sleep(1000);
      const memory = await worker.memory();
      const listByScenarioMs = await timeList(
        api,
        `/dlqs?scenarioId=${scenario.id}&pg[limit]=100`,
        options.growth.listReps,
      );
      const listByStatusMs = await timeList(api, `/dlqs?status=unresolved&pg[limit]=100`, options.growth.listReps);

      const ids = fresh.splice(0, Math.min(options.growth.bulkRetryCount, fresh.length));
      ctx.say(`growth: bulk retry of ${ids.length} IEs at ${parked}`);
      const bulk = await bulkRetry(api, scenario.id, ids, options.growth.bulkCapMs);
      const operation = await store.bulkOperations.operations.findOne(
        { orgId: ctx.orgId, scenarioId: scenario.id },
        { sort: { created: -1 } },
      );
      if (operation) sample(ctx, 'bulkOperation', `bulk-${operation._id}`);
      for (const id of ids.slice(0, 2)) sample(ctx, 'incompleteExecution (retried)', `ie-${id}`);
      expectedSyncs += 2 * bulk.accepted;
      const settleStarted = performance.now();
      const attemptsDone = await settle(options.growth.settleCapMs);
      const longestTask = await longestTaskOf(ctx, [
        ...(operation ? [`bulk-${operation._id}`] : []),
        coordinatorWorkflowId(ctx.imexTaskQueue, scenario.id),
        ...ids.map((id) => `ie-${id}`),
      ]);
      ctx.say(`growth: longest workflow task of the bulk retry: ${longestTask.ms} ms (${longestTask.workflowId})`);
      levels.push({
        parked,
        parkRatePerSec: round(chunkRate, 1),
        workerRssMb: round(memory.rss / 2 ** 20, 1),
        workerHeapMb: round(memory.heapUsed / 2 ** 20, 1),
        cachedWorkflows: memory.cachedWorkflows,
        listByScenarioMs,
        listByStatusMs,
        bulkRetry: {
          count: ids.length,
          acceptedMs: round(bulk.ms, 0),
          completed: bulk.completed,
          settledMs: attemptsDone ? round(bulk.ms + (performance.now() - settleStarted), 0) : null,
          accepted: bulk.accepted,
          longestWorkflowTask: longestTask,
        },
      });
      ctx.checkpoint('growthLevels', levels);
      if (parked < level) break;
    }
    const full = levels.find((l) => l.cachedWorkflows >= options.worker.maxCachedWorkflows);
    const cachedSinceBaseline = full ? full.cachedWorkflows - baseline.cachedWorkflows : 0;
    return {
      method:
        'IEs parked by calling the parkIncompleteExecution activity directly (concurrency ' +
        `${options.growth.parkConcurrency}): real IE documents, quota and real incompleteExecution workflows`,
      parkRatePerSec: round((parked / parkingMs) * 1000, 1),
      baselineRssMb: round(baselineRssMb, 1),
      baselineCachedWorkflows: baseline.cachedWorkflows,
      rssPerCachedWorkflowMb:
        full && cachedSinceBaseline > 0 ? round((full.workerRssMb - baselineRssMb) / cachedSinceBaseline, 2) : null,
      rssPerCachedWorkflowFromStartMb: full
        ? round((full.workerRssMb - ctx.workerStartRssMb) / full.cachedWorkflows, 2)
        : null,
      levels,
      stoppedAt: parked,
      stopReason,
    };
  } finally {
    await api.close();
  }
}

/** The longest workflow task among these workflows' histories; absent ones are skipped. */
async function longestTaskOf(ctx: BenchContext, workflowIds: string[]): Promise<{ ms: number; workflowId: string }> {
  let longest = { ms: 0, workflowId: '' };
  for (const workflowId of workflowIds) {
    const runIds: (string | undefined)[] = [];
    // The coordinator continues as new: every run of it; the others, their latest.
    if (workflowId.startsWith('coordinator-')) {
      for await (const w of ctx.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runIds.push(w.runId);
    } else runIds.push(undefined);
    for (const runId of runIds) {
      const events = await fetchEvents(ctx.client, workflowId, runId).catch(() => []);
      const ms = round(longestWorkflowTaskMs(events), 0);
      if (ms > longest.ms) longest = { ms, workflowId };
    }
  }
  return longest;
}

/** Times one page through the API; the first request warms up and is not counted. */
async function timeList(api: BenchApi, path: string, reps: number): Promise<Summary> {
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const started = performance.now();
    const { body } = await api.call<{ dlqs: unknown[] }>('GET', path);
    const ms = performance.now() - started;
    if (body.dlqs.length === 0) throw new Error(`GET ${path} listed nothing`);
    if (i > 0) times.push(ms);
  }
  return roundSummary(summarize(times), 1);
}

interface OperationView {
  operation: { id: string; status: string; succeeded: number; total: number | null };
}

/** `POST /dlqs/retry` with the ids; a large batch answers 202 and is followed until completed. */
export async function bulkRetry(
  api: BenchApi,
  scenarioId: number,
  ids: string[],
  capMs: number,
): Promise<{ ms: number; accepted: number; completed: boolean }> {
  const started = performance.now();
  const answer = await api.call<{ dlqs?: { accepted: boolean }[] } & Partial<OperationView>>(
    'POST',
    `/dlqs/retry?scenarioId=${scenarioId}`,
    { ids },
    [200, 202],
  );
  if (answer.status === 200) {
    const accepted = (answer.body.dlqs ?? []).filter((d) => d.accepted).length;
    return { ms: performance.now() - started, accepted, completed: true };
  }
  const operationId = answer.body.operation?.id as string;
  for (;;) {
    const { body } = await api.call<OperationView>('GET', `/dlqs/operations/${operationId}?pg[limit]=1`);
    const completed = body.operation.status === 'completed';
    if (completed || performance.now() - started > capMs) {
      return { ms: performance.now() - started, accepted: body.operation.succeeded, completed };
    }
    await sleep(BULK_POLL_MS);
  }
}
