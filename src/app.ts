/**
 * imex as one process: the local stack (or the configured servers), the store, a worker with
 * the imex plugin, and the HTTP API. `npm start` and the Docker image run this.
 */
import type { ImexConfig } from './config';
import { createApiServer } from './api';
import { openFailFastApiClients } from './api/fail-fast-clients';
import { runDemo } from './demo/demo';
import { ensureLocalToken } from './local-token';
import type { Logger } from './logger';
import { createDefaultRegistry } from './modules';
import { startLocalStack, type LocalStack } from './stack/local-stack';
import { imexPaths } from './stack/paths';
import { openStore } from './store';
import { ImexClient } from './temporal/client';
import { connectTemporal } from './temporal/connection';
import { installTemporalLogging } from './temporal/runtime-logging';
import { createImexWorker } from './temporal/worker';
import { ensureMaintenanceSchedule } from './temporal/maintenance-schedule';

export const LOCAL_ORGANIZATION_NAME = 'Local organization';

export interface RunningImex {
  apiUrl: string;
  token: string;
  stack: LocalStack;
  /** Stops the API, drains the worker, closes connections, then stops what the stack started. */
  stop(): Promise<void>;
}

export async function startImex(config: ImexConfig, log: Logger, say: (line: string) => void): Promise<RunningImex> {
  const steps: { name: string; stop: () => Promise<void> }[] = [];
  const stopAll = async () => {
    for (const step of steps.splice(0).reverse()) {
      try {
        await step.stop();
      } catch (err) {
        log.error({ err }, `stopping ${step.name} failed`);
      }
    }
  };
  installTemporalLogging(log);
  try {
    const stack = await startLocalStack({ config, mode: 'persistent', progress: (line) => say(line) });
    steps.push({ name: 'local stack', stop: () => stack.stop() });

    const store = await openStore(stack.mongoUrl, config.IMEX_MONGO_DB);
    steps.push({ name: 'store', stop: () => store.close() });

    const temporal = await connectTemporal(config, stack.temporalAddress);
    steps.push({ name: 'Temporal connections', stop: () => temporal.close() });

    const registry = createDefaultRegistry();
    const imex = new ImexClient({
      client: temporal.client,
      store,
      taskQueue: config.IMEX_TASK_QUEUE,
      webhookQueueCap: config.IMEX_WEBHOOK_QUEUE_CAP,
      maxConcurrentRuns: config.IMEX_SCENARIO_MAX_CONCURRENT_RUNS,
    });
    const worker = await createImexWorker({
      connection: temporal.nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.IMEX_TASK_QUEUE,
      store,
      registry,
      client: temporal.client,
      schedule: config.IMEX_RETRY_SCHEDULE,
      coordination: { maxConcurrentRuns: config.IMEX_SCENARIO_MAX_CONCURRENT_RUNS },
    });
    const workerDone = worker.run();
    steps.push({
      name: 'worker',
      stop: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerDone;
      },
    });

    // Purge and quota reconciliation, hourly, on a Temporal Schedule (idempotent on every start).
    await ensureMaintenanceSchedule(temporal.client, {
      taskQueue: config.IMEX_TASK_QUEUE,
      input: { purgeAfterMs: config.IMEX_PURGE_AFTER_DAYS * 24 * 60 * 60 * 1000 },
    });

    // The API's own clients fail fast (503 while the store or Temporal is down); the worker's are patient.
    const apiClients = await openFailFastApiClients({
      mongoUrl: stack.mongoUrl,
      dbName: config.IMEX_MONGO_DB,
      temporal: temporal.apiClient,
      taskQueue: config.IMEX_TASK_QUEUE,
      webhookQueueCap: config.IMEX_WEBHOOK_QUEUE_CAP,
      maxConcurrentRuns: config.IMEX_SCENARIO_MAX_CONCURRENT_RUNS,
    });
    steps.push({ name: 'API store', stop: () => apiClients.close() });
    const { store: apiStore, imex: apiImex } = apiClients;
    const api = await createApiServer({
      store: apiStore,
      imex: apiImex,
      registry,
      logger: log,
      webhooks: apiImex,
      triggers: apiImex,
    });
    await api.listen({ host: config.IMEX_API_HOST, port: config.IMEX_API_PORT });
    steps.push({ name: 'API', stop: () => api.close() });
    const apiUrl = `http://${config.IMEX_API_HOST}:${config.IMEX_API_PORT}/api/v2`;

    const org = await store.organizations.ensureNamed(LOCAL_ORGANIZATION_NAME);
    const token = await ensureLocalToken(store, org._id, imexPaths(config.IMEX_HOME, config.IMEX_DATA_DIR).data);

    say(`API: ${apiUrl}`);
    say(`Token: ${token}`);
    if (stack.temporalUiUrl) say(`Temporal UI: ${stack.temporalUiUrl}`);
    else say(`Temporal: ${stack.temporalAddress}`);

    if (config.IMEX_DEMO) {
      const demo = await runDemo({ store, imex, orgId: org._id, apiUrl, token }, say);
      steps.push({ name: 'demo service', stop: () => demo.close() });
    }
    return { apiUrl, token, stack, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
