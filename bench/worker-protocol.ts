/** Messages between the bench and its worker process (worker-process.ts), over Node's IPC channel. */
import type { ActivityBreakdown } from './instrument';

/** Settings both workers (imex and bare) are created with. */
export interface BenchWorkerSettings {
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
}

export interface WorkerProcessConfig {
  temporalAddress: string;
  namespace: string;
  mongoUrl: string;
  dbName: string;
  imexTaskQueue: string;
  bareTaskQueue: string;
  settings: BenchWorkerSettings;
  /**
   * A third worker: imex with the payload codec (these keys, IMEX_ENCRYPTION_KEYS' form) on this
   * task queue, for the codec's cost (codec-cost.ts). The other imex worker has no codec.
   */
  codec: { taskQueue: string; keys: string };
}

export type WorkerRequest =
  | { id: number; type: 'memory' }
  | { id: number; type: 'breakdown'; reset?: boolean }
  | { id: number; type: 'count'; activity: string; call: string }
  | { id: number; type: 'stop' };

export type WorkerReply =
  | { id: 0; type: 'ready'; bundlingMs: number; bundleBytes: number }
  | { id: number; type: 'memory'; rss: number; heapUsed: number; cachedWorkflows: number }
  | { id: number; type: 'breakdown'; breakdown: ActivityBreakdown }
  | { id: number; type: 'count'; count: number }
  | { id: number; type: 'stopped' }
  | { id: number; type: 'error'; message: string };
