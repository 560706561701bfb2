/**
 * imex as one process: the local stack (or the configured servers), the store, a worker with
 * the imex plugin, and the HTTP API. `npm start` and the Docker image run this. With
 * `IMEX_ROLE=worker` the process is a worker alone that joins servers already running: no API,
 * no demo, only `/metrics` and `/health/*` (docs/operations.md#scaling-out).
 */
import type { ImexConfig } from './config';
import { createApiServer } from './api';
import { createOperationsServer } from './api/operations-server';
import { loadKeyring } from './crypto/load-keyring';
import { openFailFastApiClients } from './api/fail-fast-clients';
import { runDemo } from './demo/demo';
import { startFlakyService } from './demo/flaky-service';
import { createEgressPolicy, type EgressPolicy } from './egress/egress-policy';
import { stackEndpoints } from './egress/stack-endpoints';
import { ensureLocalToken } from './local-token';
import type { Logger } from './logger';
import { createDefaultRegistry, parseSmtpConnections } from './modules';
import { storeReadiness, temporalReadiness, workerReadiness } from './observability/readiness';
import { temporalMetricsSource } from './observability/temporal-metrics';
import { otlpTracesUrl, startTracing } from './observability/tracing';
import { freePort } from './stack/free-port';
import { startLocalStack, type LocalStack } from './stack/local-stack';
import { imexPaths } from './stack/paths';
import { openStore } from './store';
import { ImexClient } from './temporal/client';
import { connectTemporal } from './temporal/connection';
import { installTemporalLogging } from './temporal/runtime-logging';
import { createImexWorker } from './temporal/worker';
import { EncryptionCodec } from './temporal/encryption-codec';
import { ensureMaintenanceSchedule } from './temporal/maintenance-schedule';

export const LOCAL_ORGANIZATION_NAME = 'Local organization';

/** The browser origins the codec server answers: configured, or the local Temporal Web UI's. */
export function codecCorsOrigins(config: ImexConfig): string[] {
  const port = config.IMEX_TEMPORAL_UI_PORT;
  return config.IMEX_CODEC_CORS_ORIGINS ?? [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

/**
 * The egress policy of this deployment (docs/security.md#egress-policy): what IMEX_EGRESS_ALLOW
 * and IMEX_EGRESS_ALLOW_HOSTS open, and the stack's own servers refused whatever they open.
 */
async function deploymentEgressPolicy(
  config: ImexConfig,
  stack: LocalStack,
  temporalMetricsAddress: string,
  demoHostPort: string | undefined,
): Promise<EgressPolicy> {
  return createEgressPolicy({
    allow: config.IMEX_EGRESS_ALLOW,
    allowHosts: [...config.IMEX_EGRESS_ALLOW_HOSTS, ...(demoHostPort ? [demoHostPort] : [])],
    stack: stackEndpoints({
      ...stack,
      apiAddress: `${config.IMEX_API_HOST}:${config.IMEX_API_PORT}`,
      temporalMetricsAddress,
    }),
  });
}

export interface RunningImex {
  /** The API's base URL and the local token; absent for a worker running alone. */
  apiUrl?: string;
  token?: string;
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
  // The Temporal SDK's worker metrics, served by its runtime and appended to the API's /metrics.
  const temporalMetricsAddress = config.IMEX_TEMPORAL_METRICS_ADDRESS ?? `127.0.0.1:${await freePort()}`;
  installTemporalLogging(log, { metricsAddress: temporalMetricsAddress });
  try {
    // Every Temporal payload is encrypted with these keys (docs/security.md); bad keys stop here.
    const paths = imexPaths(config.IMEX_HOME, config.IMEX_DATA_DIR);
    const workerAlone = config.IMEX_ROLE === 'worker';
    const { keyring, source: keySource } = loadKeyring(config, paths.data, { generate: !workerAlone });
    log.info({ keys: keyring.ids, active: keyring.active.id, source: keySource }, 'encryption keys loaded');
    // Tracing only when an OTLP endpoint is configured: otherwise nothing of OpenTelemetry is loaded.
    const tracesUrl = otlpTracesUrl(config);
    const tracing = tracesUrl
      ? await startTracing({ serviceName: config.OTEL_SERVICE_NAME, url: tracesUrl })
      : undefined;
    const tracingPlugin = tracing ? await import('./temporal/tracing-plugin') : undefined;
    if (tracing) {
      steps.push({ name: 'tracing', stop: () => tracing.shutdown() });
      say(`Traces: ${tracesUrl}`);
    }

    const stack = await startLocalStack({ config, mode: 'persistent', progress: (line) => say(line) });
    steps.push({ name: 'local stack', stop: () => stack.stop() });

    // The same keys seal user data at rest in MongoDB (docs/security.md).
    const store = await openStore(stack.mongoUrl, config.IMEX_MONGO_DB, { keyring });
    steps.push({ name: 'store', stop: () => store.close() });

    const temporal = await connectTemporal(config, stack.temporalAddress, {
      keyring,
      ...(tracing && tracingPlugin ? { interceptors: tracingPlugin.tracingClientInterceptors(tracing) } : {}),
    });
    steps.push({ name: 'Temporal connections', stop: () => temporal.close() });

    // The demo's CRM listens before the worker starts: the egress policy allows exactly its address.
    const demoService = config.IMEX_DEMO && !workerAlone ? await startFlakyService() : undefined;
    if (demoService) steps.push({ name: 'demo service', stop: () => demoService.close() });
    const egress = await deploymentEgressPolicy(config, stack, temporalMetricsAddress, demoService?.hostPort);
    steps.push({ name: 'egress connections', stop: async () => egress.close() });

    const smtpConnections = parseSmtpConnections(config.IMEX_SMTP_URL, config.IMEX_SMTP_CONNECTIONS);
    const registry = createDefaultRegistry({
      http: { egress },
      email: { connections: smtpConnections, sentLog: store.emailSends },
    });
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
      coordination: { maxConcurrentRuns: config.IMEX_SCENARIO_MAX_CONCURRENT_RUNS, runLimitMs: config.IMEX_RUN_LIMIT },
      keyring,
      logger: log,
      publicUrl: config.IMEX_PUBLIC_URL ?? `http://${config.IMEX_API_HOST}:${config.IMEX_API_PORT}`,
      smtpConnections,
      egress,
      ...(tracing && tracingPlugin ? { plugins: [tracingPlugin.createTracingPlugin(tracing)] } : {}),
    });
    const workerDone = worker.run();
    steps.push({
      name: 'worker',
      stop: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await workerDone;
      },
    });

    // Purge, quota reconciliation and the other sweeps, every 5 minutes, on a Temporal Schedule (idempotent on every start).
    await ensureMaintenanceSchedule(temporal.client, {
      taskQueue: config.IMEX_TASK_QUEUE,
      input: { purgeAfterMs: config.IMEX_PURGE_AFTER_DAYS * 24 * 60 * 60 * 1000 },
    });

    // Readiness: the store (each side checks its own client), Temporal, and the worker polling.
    const temporalAndWorker = [temporalReadiness(temporal.apiClient), workerReadiness(worker)];
    const operations = {
      readiness: [storeReadiness(store), ...temporalAndWorker],
      temporalMetrics: temporalMetricsSource(temporalMetricsAddress),
      ...(tracing ? { tracer: tracing.tracer } : {}),
    };
    if (workerAlone) {
      const server = await createOperationsServer({
        store,
        operations: { ...operations, storeFigures: false },
        logger: log,
      });
      await server.listen({ host: config.IMEX_API_HOST, port: config.IMEX_API_PORT });
      steps.push({ name: 'operations server', stop: () => server.close() });
      say(`Worker on task queue ${config.IMEX_TASK_QUEUE} (Temporal ${stack.temporalAddress})`);
      say(`Metrics: http://${config.IMEX_API_HOST}:${config.IMEX_API_PORT}/metrics`);
      return { stack, stop: stopAll };
    }

    // The API's own clients fail fast (503 while the store or Temporal is down); the worker's are patient.
    const apiClients = await openFailFastApiClients({
      mongoUrl: stack.mongoUrl,
      dbName: config.IMEX_MONGO_DB,
      temporal: temporal.apiClient,
      taskQueue: config.IMEX_TASK_QUEUE,
      webhookQueueCap: config.IMEX_WEBHOOK_QUEUE_CAP,
      maxConcurrentRuns: config.IMEX_SCENARIO_MAX_CONCURRENT_RUNS,
      keyring,
    });
    steps.push({ name: 'API store', stop: () => apiClients.close() });
    const { store: apiStore, imex: apiImex } = apiClients;
    const api = await createApiServer(
      {
        store: apiStore,
        imex: apiImex,
        registry,
        logger: log,
        webhooks: apiImex,
        triggers: apiImex,
        quotaWrites: config.IMEX_API_QUOTA_WRITES,
        codecServer: { codec: new EncryptionCodec(keyring), corsOrigins: codecCorsOrigins(config) },
        operations: { ...operations, readiness: [storeReadiness(apiStore), ...temporalAndWorker] },
      },
      { authFailureLimit: { max: config.IMEX_API_AUTH_FAILURES_PER_MINUTE, timeWindowMs: 60_000 } },
    );
    await api.listen({ host: config.IMEX_API_HOST, port: config.IMEX_API_PORT });
    steps.push({ name: 'API', stop: () => api.close() });
    const apiUrl = `http://${config.IMEX_API_HOST}:${config.IMEX_API_PORT}/api/v2`;

    const org = await store.organizations.ensureNamed(LOCAL_ORGANIZATION_NAME);
    const token = await ensureLocalToken(store, org._id, paths.data);

    say(`API: ${apiUrl}`);
    say(`Token: ${token}`);
    if (stack.temporalUiUrl) say(`Temporal UI: ${stack.temporalUiUrl}`);
    else say(`Temporal: ${stack.temporalAddress}`);

    if (demoService) await runDemo({ store, imex, orgId: org._id, apiUrl, token, service: demoService }, say);
    return { apiUrl, token, stack, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
