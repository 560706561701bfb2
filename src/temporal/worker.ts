import { NativeConnection, Worker, type WorkerPlugin, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from '../logger';
import type { Client } from '@temporalio/client';
import type { CoordinationSettings } from '../../activities';
import type { PolicyTable, RetrySchedule } from '../domain';
import type { ModuleRegistry, SmtpConnection } from '../modules';
import type { Store } from '../store';
import type { Keyring } from '../crypto/keyring';
import type { EgressPolicy } from '../egress/egress-policy';
import { createImexPlugin } from './plugin';

export interface ImexWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: Store;
  registry: ModuleRegistry;
  client: Client;
  schedule?: RetrySchedule;
  policyTable?: PolicyTable;
  /** Per-scenario coordination bounds (parallel runs of one scenario). */
  coordination?: CoordinationSettings;
  workflowBundle?: WorkflowBundleOption;
  /** Bounded workflow cache: worker memory stays flat however many IEs are parked. */
  maxCachedWorkflows?: number;
  /** Encrypts every payload (the plugin installs the codec). */
  keyring?: Keyring;
  /** Workflow tasks in hand at once; the plugin's DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS when absent. */
  maxConcurrentWorkflowTaskExecutions?: number;
  /** Where the lines an operator follows go (parks, attempts, requests, runs). */
  logger?: Logger;
  /** More plugins after imex's (tracing: temporal/tracing-plugin.ts). */
  plugins?: WorkerPlugin[];
  /** The API's origin, for links in alert digests. */
  publicUrl?: string;
  /** The deployment's SMTP connections, for alert digests by e-mail. */
  smtpConnections?: ReadonlyMap<string, SmtpConnection>;
  /** Where run callbacks and alert webhooks may go (give the registry's HTTP modules the same). */
  egress?: EgressPolicy;
}

/** A Worker on the imex task queue, built with the imex plugin. */
export function createImexWorker(options: ImexWorkerOptions): Promise<Worker> {
  const {
    connection,
    namespace,
    taskQueue,
    maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions,
    plugins = [],
    ...deps
  } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    maxCachedWorkflows: maxCachedWorkflows ?? 500,
    ...(maxConcurrentWorkflowTaskExecutions === undefined ? {} : { maxConcurrentWorkflowTaskExecutions }),
    // Let in-flight module operations finish on shutdown instead of being retried elsewhere.
    shutdownGraceTime: '30 seconds',
    plugins: [createImexPlugin({ ...deps, taskQueue }), ...plugins],
  });
}
