/** Command line and the sizes of each phase: the full run, and `--quick` (under two minutes). */
import { parseArgs } from 'node:util';
import type { BenchWorkerSettings } from './worker-protocol';

export interface BenchOptions {
  quick: boolean;
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
    },
    strict: true,
    allowPositionals: false,
  });
  const quick = values.quick ?? false;
  return {
    quick,
    out: values.out ?? 'bench-results.json',
    worker: {
      // imex's default (createImexWorker); --quick parks fewer IEs, so a smaller cache shows the bound.
      maxCachedWorkflows: quick ? 100 : 500,
      maxConcurrentWorkflowTaskExecutions: 40,
      maxConcurrentActivityTaskExecutions: 100,
    },
    overhead: quick
      ? { concurrency: 8, warmupRuns: 8, runsPerRep: 24, reps: 3 }
      : { concurrency: 8, warmupRuns: 24, runsPerRep: 60, reps: 5 },
    park: quick
      ? { warmupRuns: 3, runs: 8, throughputParks: 40, throughputConcurrency: [1, 8] }
      : { warmupRuns: 5, runs: 25, throughputParks: 80, throughputConcurrency: [1, 2, 8] },
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
