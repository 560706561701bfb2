/**
 * An imex worker in a process of its own, so it can be killed like a real one (SIGKILL: no
 * shutdown, no drain) and a new one started: the fault suite (run.ts) and the crash test
 * (test/integration/worker-crash.test.ts) use it. The parent (worker-handle.ts) passes the
 * settings as JSON in IMEX_CHAOS_WORKER and hears `ready` over IPC once it polls.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loopbackEgressPolicy } from '../../src/egress/stack-endpoints';
import { createDefaultRegistry } from '../../src/modules';
import { openStore } from '../../src/store';
import { createImexWorker } from '../../src/temporal/worker';
import { defaultPolicyTable, mergePolicyTable } from '../../src/domain';
import type { ImexWorkerProcessConfig } from './worker-handle';

async function main(): Promise<void> {
  const config = JSON.parse(process.env.IMEX_CHAOS_WORKER ?? '') as ImexWorkerProcessConfig;
  // Faults are what this worker lives through: the SDK speaks at ERROR only.
  Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: ['SIGTERM', 'SIGINT'] });
  const store = await openStore(config.mongoUrl, config.dbName);
  const nativeConnection = await NativeConnection.connect({ address: config.temporalAddress });
  const connection = await Connection.connect({ address: config.temporalAddress });
  const client = new Client({ connection, namespace: config.namespace });
  // The faults' services listen on loopback.
  const egress = await loopbackEgressPolicy({ temporalAddress: config.temporalAddress, mongoUrl: config.mongoUrl });
  const worker = await createImexWorker({
    connection: nativeConnection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    store,
    registry: createDefaultRegistry({ http: { egress } }),
    client,
    egress,
    ...(config.schedule ? { schedule: config.schedule } : {}),
    ...(config.policy ? { policyTable: mergePolicyTable(defaultPolicyTable, config.policy) } : {}),
    ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : {}),
  });
  const running = worker.run();
  // The parent is gone (killed, crashed): a worker nobody supervises must not linger.
  process.once('disconnect', () => process.exit(1));
  process.send?.({ type: 'ready', pid: process.pid });
  await running;
  await Promise.all([nativeConnection.close(), connection.close(), store.close()]);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('imex worker process failed:', err);
    process.exit(1);
  },
);
