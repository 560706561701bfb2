/**
 * imex workers in processes of their own, for tests that SIGKILL one mid-work: a store and a
 * client on a fresh task queue, workers started on demand (each logging to its own file), all
 * killed and the folder removed by `close()`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore, ensureIndexes, type Store } from '../../src/store';
import { ImexClient } from '../../src/temporal/client';
import { ImexWorkerProcess, type ImexWorkerProcessConfig } from '../../bench/chaos/worker-handle';
import { fastInRunRetries, imexWorkflowBundle } from './imex-harness';
import type { TestEnv } from './test-env';

export interface WorkerProcesses {
  store: Store;
  imex: ImexClient;
  taskQueue: string;
  startWorker(): Promise<ImexWorkerProcess>;
  close(): Promise<void>;
}

export async function openWorkerProcesses(env: TestEnv, name: string): Promise<WorkerProcesses> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `imex-${name}-`));
  const workers: ImexWorkerProcess[] = [];
  const store = createStore(env.db);
  await ensureIndexes(store);
  const taskQueue = env.unique(name);
  const bundlePath = path.join(dir, 'workflows.js');
  fs.writeFileSync(bundlePath, (await imexWorkflowBundle()).code);
  const config: ImexWorkerProcessConfig = {
    temporalAddress: env.temporalAddress,
    namespace: env.namespace,
    mongoUrl: process.env.IMEX_TEST_MONGO_URL as string,
    dbName: env.db.databaseName,
    taskQueue,
    policy: fastInRunRetries,
    workflowBundlePath: bundlePath,
  };
  return {
    store,
    imex: new ImexClient({ client: env.client, store, taskQueue }),
    taskQueue,
    startWorker: async () => {
      const worker = await ImexWorkerProcess.start(config, path.join(dir, `worker-${workers.length + 1}.log`));
      workers.push(worker);
      return worker;
    },
    close: async () => {
      for (const worker of workers) await worker.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
