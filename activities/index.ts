/**
 * imex's activities, built by `createActivities(deps)` from their dependencies: the store, the
 * module registry and a Temporal client. Workflows import only the type `ImexActivities`.
 */
import type { Client } from '@temporalio/client';
import { defaultPolicyTable, makeRetrySchedule, type PolicyTable, type RetrySchedule } from '../src/domain';
import type { Logger } from '../src/logger';
import type { ModuleRegistry, SmtpConnection } from '../src/modules';
import { createOperatorEvents, type OperatorEvents } from '../src/observability/operator-events';
import type { Store } from '../src/store';
import { createAlertActivities } from './alerts';
import { createBulkOperationActivities } from './bulk-operations';
import { createBulkQueryOperationActivities } from './bulk-query-operations';
import { createConsecutiveErrors } from './consecutive-errors';
import { createCoordinationActivities, type CoordinationSettings } from './coordination';
import { createDataStoreTransactionActivities } from './data-store-transactions';
import { createDirectRunEnd } from './direct-run-end';
import { createEvaluateFlowExpressions } from './flow-expressions';
import { allHeartbeating } from './heartbeat';
import { createIncompleteExecutionActivities } from './incomplete-executions';
import { createMaintenanceActivities } from './maintenance';
import { createRecordExecution } from './record-execution';
import { createRunModule } from './run-module';
import { deliverRunCallback } from './run-callback';
import { createScenarioLeaseActivities } from './scenario-leases';
import { createWebhookDispatch } from '../src/temporal/webhook-dispatch';

export interface ActivityDeps {
  store: Store;
  registry: ModuleRegistry;
  client: Client;
  taskQueue: string;
  policyTable?: PolicyTable;
  /** The incomplete executions' auto-retry schedule (Make's by default; tests use seconds). */
  schedule?: RetrySchedule;
  /** Per-scenario coordination bounds (parallel runs of one scenario). */
  coordination?: CoordinationSettings;
  /** Where the lines an operator follows go (parks, attempts, requests, runs); none without it. */
  logger?: Logger;
  /** The API's origin, for links in alert digests (docs/alerts.md); digests carry ids only without it. */
  publicUrl?: string;
  /** The deployment's SMTP connections, for alert digests by e-mail. */
  smtpConnections?: ReadonlyMap<string, SmtpConnection>;
}

/**
 * Every activity heartbeats while it runs (heartbeat.ts), so a crashed worker's work resumes
 * within seconds. Bulk operations and maintenance heartbeat their progress themselves: an
 * activity whose heartbeats carry details belongs with them (the wrapper's would overwrite them).
 */
export function createActivities(deps: ActivityDeps) {
  const events = createOperatorEvents(deps.logger);
  const selfHeartbeating = {
    ...createMaintenanceActivities({
      store: deps.store,
      client: deps.client,
      taskQueue: deps.taskQueue,
      schedule: deps.schedule ?? makeRetrySchedule,
      events,
      ...(deps.coordination?.maxConcurrentRuns ? { maxConcurrentRuns: deps.coordination.maxConcurrentRuns } : {}),
    }),
    ...createBulkOperationActivities({ store: deps.store, client: deps.client, taskQueue: deps.taskQueue }),
    ...createBulkQueryOperationActivities({ store: deps.store, client: deps.client, taskQueue: deps.taskQueue }),
  };
  return { ...allHeartbeating(createShortActivities(deps, events)), ...selfHeartbeating };
}

function createShortActivities(deps: ActivityDeps, events: OperatorEvents) {
  const leases = createScenarioLeaseActivities({ store: deps.store, client: deps.client, taskQueue: deps.taskQueue });
  const { countRunOutcome } = createConsecutiveErrors({
    store: deps.store,
    client: deps.client,
    taskQueue: deps.taskQueue,
  });
  const { deliverWebhooks } = createWebhookDispatch({
    store: deps.store,
    client: deps.client,
    taskQueue: deps.taskQueue,
    ...(deps.coordination?.maxConcurrentRuns ? { maxConcurrentRuns: deps.coordination.maxConcurrentRuns } : {}),
  });
  return {
    runModule: createRunModule({
      registry: deps.registry,
      store: deps.store,
      policyTable: deps.policyTable ?? defaultPolicyTable,
    }),
    evaluateFlowExpressions: createEvaluateFlowExpressions({ blobs: deps.store.blobs }),
    recordExecution: createRecordExecution(deps.store.executions, events),
    ...createDataStoreTransactionActivities(deps.store),
    ...createIncompleteExecutionActivities({
      store: deps.store,
      registry: deps.registry,
      client: deps.client,
      taskQueue: deps.taskQueue,
      schedule: deps.schedule ?? makeRetrySchedule,
      events,
    }),
    ...createCoordinationActivities({
      store: deps.store,
      client: deps.client,
      taskQueue: deps.taskQueue,
      ...(deps.coordination ? { settings: deps.coordination } : {}),
    }),
    ...leases,
    endDirectRun: createDirectRunEnd({ store: deps.store, unregisterRun: leases.unregisterRun, countRunOutcome }),
    /** Starts the runs of a scenario's waiting webhook payloads (or wakes a sequential one's coordinator). */
    deliverQueuedWebhooks: deliverWebhooks,
    ...createAlertActivities({
      store: deps.store,
      ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
      ...(deps.smtpConnections ? { smtpConnections: deps.smtpConnections } : {}),
    }),
    /** Make's `callbackUrl`: a run on demand's outcome, POSTed when it ends. */
    deliverRunCallback,
  };
}

export type ImexActivities = ReturnType<typeof createActivities>;
export type { RunModuleInput, RunModuleOutput } from './run-module';
export type { OperationTransaction } from './data-store-access';
export type { CommitDataStoreWritesInput, SettleDataStoreWritesInput } from './data-store-transactions';
export type { FlowExpressionsInput, FlowExpressionsOutput } from './flow-expressions';
export type { ParkInput, ParkOutput, AttemptInput } from './incomplete-executions';
export type {
  BlobCollectionReport,
  MaintenanceReport,
  QuotaReconcileBatch,
  QuotaRepair,
  WebhookWakeReport,
  WorkflowReconcileReport,
} from './maintenance';
export type { BulkChunkInput } from './bulk-operations';
export type { BulkQueryPageInput, BulkQueryPageResult } from './bulk-query-operations';
export type { CoordinationSettings } from './coordination';
