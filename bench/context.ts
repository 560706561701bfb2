/** What every bench phase gets: the servers' clients, the worker, the settings, a place to note things. */
import type { Client } from '@temporalio/client';
import type { Store } from '../src/store';
import type { ImexClient } from '../src/temporal/client';
import type { CallRecorder } from './instrument';
import type { BenchOptions } from './options';
import type { BenchWorker } from './worker-handle';

export interface BenchContext {
  options: BenchOptions;
  client: Client;
  imex: ImexClient;
  store: Store;
  worker: BenchWorker;
  /** The stack's processes (Temporal dev server, store), for their CPU time (run-profile.ts). */
  stackProcesses: { name: string; pid: number }[];
  /** This process's store and Temporal client calls (the client side of runs), counted. */
  clientCalls: CallRecorder;
  imexTaskQueue: string;
  bareTaskQueue: string;
  orgId: number;
  /** The bench worker's RSS once it is ready, before any workflow ran (MB). */
  workerStartRssMb: number;
  /** Workflow ids whose histories the payload scan reads, by what they are. */
  sampled: Map<string, string[]>;
  say(line: string): void;
  /** Writes what is known so far to the output file, so an interrupted run still leaves figures. */
  checkpoint(key: string, value: unknown): void;
}

export function sample(ctx: BenchContext, kind: string, workflowId: string, keep = 5): void {
  const ids = ctx.sampled.get(kind) ?? [];
  if (ids.length < keep) ids.push(workflowId);
  ctx.sampled.set(kind, ids);
}
