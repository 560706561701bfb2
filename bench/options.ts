/** Command line and the sizes of each phase: the full run, and `--quick` (about three minutes idle). */
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS } from '../src/temporal/plugin';
import type { BenchWorkerSettings } from './worker-protocol';

/** Phases `--only` can pick (the others are always run together: they share parked state). */
export const SELECTABLE_PHASES = [
  'run-overhead',
  'webhook-burst',
  'outage-storm',
  'mapping-eval',
  'codec-cost',
  'bulk-query',
] as const;
export type SelectablePhase = (typeof SELECTABLE_PHASES)[number];

export interface BenchOptions {
  quick: boolean;
  /** Run only this phase (`--only run-overhead`, `--only webhook-burst`, …); every phase when absent. */
  only?: SelectablePhase;
  out: string;
  worker: BenchWorkerSettings;
  overhead: { concurrency: number; warmupRuns: number; runsPerRep: number; reps: number };
  park: {
    warmupRuns: number;
    runs: number;
    /** Parks per concurrency level when measuring parking throughput. */
    throughputParks: number;
    throughputConcurrency: number[];
  };
  webhookBurst: {
    /** Concurrent posts per burst (into one scenario, then spread across `scenarios`). */
    posts: number;
    scenarios: number;
    /** The capped scenario's cap and the concurrent posts it gets. */
    cap: number;
    capPosts: number;
    /** Longest wait for a burst's runs. */
    drainCapMs: number;
  };
  outageStorm: {
    /** Scenarios calling the service that goes down, and the runs that fail at once across them. */
    scenarios: number;
    runs: number;
    /** Live runs of the unaffected scenario timed before the storm. */
    quietRuns: number;
    /** IEs (parked for a person, another scenario) retried in one bulk request after the recovery. */
    bulkRetryCount: number;
    /** How long the outage lasts after the last IE is durable (their auto-retries fail meanwhile). */
    holdMs: number;
    /** Longest waits: for every run to park, every IE to resolve, the bulk retry to settle. */
    parkCapMs: number;
    resolveCapMs: number;
    bulkCapMs: number;
    /** Workflow histories read for the longest workflow task (an even sample of the organization's). */
    historySample: number;
  };
  bulkQuery: {
    /** IEs parked across 2 scenarios, then deleted by one bulk operation by query. */
    ies: number;
    parkConcurrency: number;
    /** Longest wait for the operation's ledger. */
    capMs: number;
  };
  growth: {
    /** Parked-IE counts to measure at, in order. */
    levels: number[];
    /** Parking stops before a level it would not reach within this budget. */
    parkingBudgetMs: number;
    parkConcurrency: number;
    /** IEs parked between two looks at the budget. */
    parkChunk: number;
    /** Longest wait for the IE workflows (or the retried IEs' attempts) to finish their writes. */
    settleCapMs: number;
    /** Longest wait for a bulk retry's operation to complete. */
    bulkCapMs: number;
    listReps: number;
    /** IEs retried in one bulk request at each level (1,000 in the full run). */
    bulkRetryCount: number;
  };
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench-results.json' },
      only: { type: 'string' },
      /** Workflow tasks the workers take at once (to compare settings; imex's default otherwise). */
      'workflow-task-slots': { type: 'string' },
      /** IEs the bulk-query phase parks and deletes by query (to try it small; 10,000 or 1,000 otherwise). */
      'bulk-query-ies': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const quick = values.quick ?? false;
  const only = values.only as SelectablePhase | undefined;
  const slots = values['workflow-task-slots'] === undefined ? undefined : Number(values['workflow-task-slots']);
  if (slots !== undefined && !(Number.isInteger(slots) && slots >= 2)) {
    throw new Error(`--workflow-task-slots ${values['workflow-task-slots']}: an integer of at least 2`);
  }
  const bulkQueryIes = values['bulk-query-ies'] === undefined ? undefined : Number(values['bulk-query-ies']);
  if (bulkQueryIes !== undefined && !(Number.isInteger(bulkQueryIes) && bulkQueryIes >= 2)) {
    throw new Error(`--bulk-query-ies ${values['bulk-query-ies']}: an integer of at least 2`);
  }
  if (only !== undefined && !SELECTABLE_PHASES.includes(only)) {
    throw new Error(`--only ${only}: not a phase (one of ${SELECTABLE_PHASES.join(', ')})`);
  }
  return {
    quick,
    ...(only === undefined ? {} : { only }),
    out: values.out ?? 'bench-results.json',
    worker: {
      // imex's default (createImexWorker); --quick parks fewer IEs, so a smaller cache shows the bound.
      maxCachedWorkflows: quick ? 100 : 500,
      maxConcurrentWorkflowTaskExecutions: slots ?? DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS,
      maxConcurrentActivityTaskExecutions: 100,
    },
    overhead: quick
      ? { concurrency: 8, warmupRuns: 8, runsPerRep: 24, reps: 3 }
      : { concurrency: 8, warmupRuns: 24, runsPerRep: 60, reps: 5 },
    park: quick
      ? { warmupRuns: 3, runs: 8, throughputParks: 40, throughputConcurrency: [1, 8] }
      : { warmupRuns: 5, runs: 25, throughputParks: 80, throughputConcurrency: [1, 2, 8] },
    webhookBurst: quick
      ? { posts: 100, scenarios: 5, cap: 30, capPosts: 90, drainCapMs: 120_000 }
      : { posts: 500, scenarios: 10, cap: 100, capPosts: 300, drainCapMs: 300_000 },
    outageStorm: quick
      ? {
          scenarios: 4,
          runs: 60,
          quietRuns: 10,
          bulkRetryCount: 30,
          holdMs: 3000,
          parkCapMs: 90_000,
          resolveCapMs: 120_000,
          bulkCapMs: 90_000,
          historySample: 400,
        }
      : {
          scenarios: 10,
          runs: 500,
          quietRuns: 30,
          bulkRetryCount: 300,
          holdMs: 10_000,
          parkCapMs: 300_000,
          resolveCapMs: 600_000,
          bulkCapMs: 300_000,
          historySample: 800,
        },
    bulkQuery: {
      ies: bulkQueryIes ?? (quick ? 300 : 10_000),
      parkConcurrency: 8,
      capMs: quick ? 300_000 : 1_800_000,
    },
    growth: quick
      ? {
          levels: [100, 300],
          parkingBudgetMs: 40_000,
          parkConcurrency: 2,
          parkChunk: 50,
          settleCapMs: 60_000,
          bulkCapMs: 90_000,
          listReps: 5,
          bulkRetryCount: 50,
        }
      : {
          levels: [1000, 10_000, 20_000],
          parkingBudgetMs: 12 * 60_000,
          parkConcurrency: 2,
          parkChunk: 100,
          settleCapMs: 180_000,
          bulkCapMs: 300_000,
          listReps: 9,
          bulkRetryCount: 1000,
        },
  };
}
