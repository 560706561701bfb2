/**
 * The bench's worker, in a process of its own so its memory (RSS) is the worker's alone: an imex
 * worker (the real plugin, activities, store and module registry) and the bare baseline's worker,
 * on their own task queues, with the same settings. The parent talks to it over IPC
 * (worker-handle.ts): RSS, the per-activity call breakdown, counts, stop.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../src/config';
import { parseKeyring } from '../src/crypto/keyring';
import { loopbackEgressPolicy } from '../src/egress/stack-endpoints';
import { createDefaultRegistry } from '../src/modules';
import { otlpTracesUrl, startTracing } from '../src/observability/tracing';
import { createStore } from '../src/store';
import { createImexPlugin } from '../src/temporal/plugin';
import { bundleImexWorkflows, quietBundlerLogger } from '../src/temporal/workflow-bundle';
import { createBareActivities } from './bare-activities';
import { CallRecorder } from './instrument';
import type { WorkerProcessConfig, WorkerReply, WorkerRequest } from './worker-protocol';

async function main(): Promise<void> {
  const config = JSON.parse(process.env.IMEX_BENCH_WORKER ?? '') as WorkerProcessConfig;
  // What the bench measures with (docs/benchmark.md): the SDK's metrics served when
  // IMEX_TEMPORAL_METRICS_ADDRESS is set, imex's worker traced when IMEX_OTLP_ENDPOINT is.
  const env = loadConfig();
  const metricsAddress = env.IMEX_TEMPORAL_METRICS_ADDRESS;
  // Module failures are what the bench provokes: the SDK speaks at ERROR only.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    shutdownSignals: [],
    ...(metricsAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress, useSecondsForDurations: true } } } }
      : {}),
  });
  const tracesUrl = otlpTracesUrl(env);
  const tracing = tracesUrl ? await startTracing({ serviceName: 'imex-bench', url: tracesUrl }) : undefined;
  const traced = tracing ? { tracing, plugin: await import('../src/temporal/tracing-plugin') } : undefined;

  const recorder = new CallRecorder();
  const mongo = new MongoClient(config.mongoUrl, { monitorCommands: true });
  await mongo.connect();
  recorder.monitor(mongo);
  const store = createStore(mongo.db(config.dbName), () => mongo.close());
  const nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  const connection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({
    connection,
    namespace: config.namespace,
    ...(traced ? { interceptors: traced.plugin.tracingClientInterceptors(traced.tracing) } : {}),
  });

  const bundlingStarted = Date.now();
  const [imexBundle, bareBundle] = await Promise.all([
    bundleImexWorkflows({ tracing: traced !== undefined }),
    bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'bare-workflows.ts'), logger: quietBundlerLogger }),
  ]);
  const bundlingMs = Date.now() - bundlingStarted;

  // The same settings for both workers: what differs is imex, not the tuning.
  const settings = {
    connection: nativeConnection,
    namespace: config.namespace,
    maxCachedWorkflows: config.settings.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: config.settings.maxConcurrentWorkflowTaskExecutions,
    maxConcurrentActivityTaskExecutions: config.settings.maxConcurrentActivityTaskExecutions,
  };
  // The bench's services listen on loopback.
  const egress = await loopbackEgressPolicy({ temporalAddress: config.temporalAddress, mongoUrl: config.mongoUrl });
  const imexWorker = await Worker.create({
    ...settings,
    taskQueue: config.imexTaskQueue,
    plugins: [
      createImexPlugin({
        store: recorder.store(store),
        registry: createDefaultRegistry({ http: { egress } }),
        client: recorder.client(client),
        egress,
        taskQueue: config.imexTaskQueue,
        workflowBundle: imexBundle,
      }),
      ...(traced ? [traced.plugin.createTracingPlugin(traced.tracing)] : []),
    ],
  });
  const bareWorker = await Worker.create({
    ...settings,
    taskQueue: config.bareTaskQueue,
    workflowBundle: bareBundle,
    activities: createBareActivities(),
  });
  // The same imex worker with the payload codec: the only difference the codec phase measures.
  const codecWorker = await Worker.create({
    ...settings,
    taskQueue: config.codec.taskQueue,
    plugins: [
      createImexPlugin({
        store,
        registry: createDefaultRegistry({ http: { egress } }),
        client,
        taskQueue: config.codec.taskQueue,
        workflowBundle: imexBundle,
        egress,
        keyring: parseKeyring(config.codec.keys),
      }),
    ],
  });
  const running = Promise.all([imexWorker.run(), bareWorker.run(), codecWorker.run()]);

  const send = (reply: WorkerReply) => process.send?.(reply);
  process.on('message', (request: WorkerRequest) => {
    void (async () => {
      switch (request.type) {
        case 'memory': {
          const { rss, heapUsed } = process.memoryUsage();
          const cachedWorkflows = imexWorker.getStatus().numCachedWorkflows;
          return send({ id: request.id, type: 'memory', rss, heapUsed, cachedWorkflows });
        }
        case 'breakdown': {
          const breakdown = recorder.snapshot();
          if (request.reset) recorder.reset();
          return send({ id: request.id, type: 'breakdown', breakdown });
        }
        case 'count':
          return send({ id: request.id, type: 'count', count: recorder.count(request.activity, request.call) });
        case 'stop':
          imexWorker.shutdown();
          bareWorker.shutdown();
          codecWorker.shutdown();
          await running;
          await Promise.all([nativeConnection.close(), connection.close(), mongo.close()]);
          await tracing?.shutdown();
          send({ id: request.id, type: 'stopped' });
          process.disconnect?.();
          return undefined;
      }
    })().catch((err: unknown) => send({ id: request.id, type: 'error', message: String(err) }));
  });
  send({ id: 0, type: 'ready', bundlingMs, bundleBytes: Buffer.byteLength(imexBundle.code) });
  await running;
}

main().catch((err: unknown) => {
  console.error('bench worker failed:', err);
  process.exit(1);
});
