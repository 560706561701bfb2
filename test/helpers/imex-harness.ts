/**
 * An imex worker on the shared test stack: the real plugin, activities, store and module
 * registry, on a task queue of the test file's own. The workflow bundle is built once per file.
 */
import { Worker } from '@temporalio/worker';
import { createDefaultRegistry, type ModuleRegistry } from '../../src/modules';
import { createStore, ensureIndexes, type Store } from '../../src/store';
import {
  blueprintSchema,
  defaultPolicyTable,
  mergePolicyTable,
  type Blueprint,
  type PolicyOverrides,
  type RetrySchedule,
} from '../../src/domain';
import { createImexPlugin } from '../../src/temporal/plugin';
import { bundleImexWorkflows } from '../../src/temporal/workflow-bundle';
import { ImexClient } from '../../src/temporal/client';
import type { TestEnv } from './test-env';

let bundle: Promise<{ code: string }> | undefined;
export function imexWorkflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleImexWorkflows();
  return bundle;
}

/** In-run retries in tens of milliseconds: the categories and counts stay Make's. */
export const fastInRunRetries: PolicyOverrides = Object.fromEntries(
  ['ConnectionError', 'RateLimitError', 'ModuleTimeoutError', 'OutOfSpaceError'].map((c) => [
    c,
    { inRun: { initialIntervalMs: 50, maxIntervalMs: 200 } },
  ]),
);

export interface ImexHarness {
  store: Store;
  registry: ModuleRegistry;
  imex: ImexClient;
  taskQueue: string;
  worker: Worker;
  orgId: number;
  createScenario(blueprint: Blueprint | Record<string, unknown>, name?: string): Promise<number>;
  /**
   * Shuts the worker down and starts a fresh one on the same task queue: nothing cached, every
   * open workflow replays its history. An activity in flight at the shutdown may run again.
   */
  restartWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startImexHarness(
  env: TestEnv,
  options: {
    schedule?: RetrySchedule;
    policy?: PolicyOverrides;
    /** Parallel runs of one scenario (the deployment's `IMEX_SCENARIO_MAX_CONCURRENT_RUNS`). */
    maxConcurrentRuns?: number;
  } = {},
): Promise<ImexHarness> {
  const store = createStore(env.db);
  await ensureIndexes(store);
  const registry = createDefaultRegistry();
  const taskQueue = env.unique('imex');
  const bound = options.maxConcurrentRuns;
  const imex = new ImexClient({ client: env.client, store, taskQueue, ...(bound ? { maxConcurrentRuns: bound } : {}) });
  const createWorker = async () =>
    Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      plugins: [
        createImexPlugin({
          store,
          registry,
          client: env.client,
          taskQueue,
          schedule: options.schedule,
          ...(bound ? { coordination: { maxConcurrentRuns: bound } } : {}),
          policyTable: mergePolicyTable(defaultPolicyTable, options.policy ?? fastInRunRetries),
          workflowBundle: await imexWorkflowBundle(),
        }),
      ],
    });
  let worker = await createWorker();
  let running = worker.run();
  const org = await store.organizations.create({ name: env.unique('org') });
  return {
    store,
    registry,
    imex,
    taskQueue,
    get worker() {
      return worker;
    },
    orgId: org._id,
    async restartWorker() {
      worker.shutdown();
      await running;
      worker = await createWorker();
      running = worker.run();
    },
    async createScenario(blueprint, name = 'test scenario') {
      const scenario = await store.scenarios.create({
        orgId: org._id,
        name,
        blueprint: blueprintSchema.parse(blueprint),
      });
      return scenario.id;
    },
    async stop() {
      // A coordinator wake-up in flight finishes before the test's Temporal connection closes.
      imex.coordinatorWake.stop();
      await imex.coordinatorWake.settled(12_000);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
