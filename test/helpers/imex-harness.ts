/**
 * An imex worker on the shared test stack: the real plugin, activities, store and module
 * registry, on a task queue of the test file's own. The workflow bundle is built once per file.
 */
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Keyring } from '../../src/crypto/keyring';
import { imexDataConverter } from '../../src/temporal/data-converter';
import type { Logger } from '../../src/logger';
import type { ImexTracing } from '../../src/observability/tracing';
import { createDefaultRegistry, type DefaultRegistryOptions, type ModuleRegistry } from '../../src/modules';
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
import type { EgressPolicy } from '../../src/egress/egress-policy';
import { testEgressPolicy } from './test-egress';
import type { TestEnv } from './test-env';

let bundle: Promise<{ code: string }> | undefined;
let tracedBundle: Promise<{ code: string }> | undefined;
export function imexWorkflowBundle(options: { tracing?: boolean } = {}): Promise<{ code: string }> {
  if (options.tracing) {
    tracedBundle ??= bundleImexWorkflows({ tracing: true });
    return tracedBundle;
  }
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
  /** The client imex uses: `env.client`, or one with the encryption codec when a keyring is given. */
  client: Client;
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
    keyring?: Keyring;
    /** The operator's log lines (parks, attempts, requests, runs) go here. */
    logger?: Logger;
    /** Tracing on: the traced workflow bundle, the tracing plugin, clients with its interceptors. */
    tracing?: ImexTracing;
    /** Parallel runs of one scenario (the deployment's `IMEX_SCENARIO_MAX_CONCURRENT_RUNS`). */
    maxConcurrentRuns?: number;
    /** The deployment's run-duration limit (`IMEX_RUN_LIMIT`, ms). */
    runLimitMs?: number;
    /** Activities the worker runs at once (the SDK's default otherwise): a worker whose slots a slow service fills. */
    maxConcurrentActivityTaskExecutions?: number;
    /** Options of the built-in modules (SMTP connections: the store's sent log is added). */
    modules?: DefaultRegistryOptions;
    /** Where modules, callbacks and alerts may connect; by default loopback but the stack's own servers. */
    egress?: EgressPolicy;
  } = {},
): Promise<ImexHarness> {
  // With a keyring, user data is sealed at rest too, as `npm start` does.
  const store = createStore(env.db, undefined, options.keyring ? { keyring: options.keyring } : {});
  await ensureIndexes(store);
  const egress = options.egress ?? (await testEgressPolicy());
  const registry = createDefaultRegistry({
    ...options.modules,
    http: { egress, ...options.modules?.http },
    email: { sentLog: store.emailSends, ...options.modules?.email },
  });
  const taskQueue = env.unique('imex');
  const { keyring, tracing } = options;
  const tracingPlugin = tracing ? await import('../../src/temporal/tracing-plugin') : undefined;
  // The test's connection, with imex's codec and tracing when asked: env.client itself stays plain
  // (it sees ciphertext).
  const client =
    keyring || tracingPlugin
      ? new Client({
          connection: env.connection,
          namespace: env.namespace,
          ...(keyring ? { dataConverter: imexDataConverter(keyring) } : {}),
          ...(tracing && tracingPlugin ? { interceptors: tracingPlugin.tracingClientInterceptors(tracing) } : {}),
        })
      : env.client;
  const bound = options.maxConcurrentRuns;
  const imex = new ImexClient({ client, store, taskQueue, ...(bound ? { maxConcurrentRuns: bound } : {}) });
  const createWorker = async () =>
    Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace,
      taskQueue,
      ...(options.maxConcurrentActivityTaskExecutions === undefined
        ? {}
        : { maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions }),
      plugins: [
        createImexPlugin({
          store,
          registry,
          client,
          taskQueue,
          keyring,
          schedule: options.schedule,
          ...(bound || options.runLimitMs !== undefined
            ? {
                coordination: {
                  ...(bound ? { maxConcurrentRuns: bound } : {}),
                  ...(options.runLimitMs !== undefined ? { runLimitMs: options.runLimitMs } : {}),
                },
              }
            : {}),
          policyTable: mergePolicyTable(defaultPolicyTable, options.policy ?? fastInRunRetries),
          workflowBundle: await imexWorkflowBundle({ tracing: tracing !== undefined }),
          ...(options.logger ? { logger: options.logger } : {}),
          ...(options.modules?.email?.connections ? { smtpConnections: options.modules.email.connections } : {}),
          egress,
        }),
        ...(tracing && tracingPlugin ? [tracingPlugin.createTracingPlugin(tracing)] : []),
      ],
    });
  let worker = await createWorker();
  let running = worker.run();
  const org = await store.organizations.create({ name: env.unique('org') });
  return {
    client,
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
      if (!options.egress) egress.close();
    },
  };
}
