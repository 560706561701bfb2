import { MongoClient, MongoServerError, type Collection, type Db, type Document } from 'mongodb';
import type { Keyring } from '../crypto/keyring';
import { failFastStoreOptions } from './unavailable';
import { AlertStore } from './alerts';
import { FieldCipher } from './field-cipher';
import { ApiTokenStore } from './api-tokens';
import { BlobStore } from './blobs';
import { BulkOperationStore } from './bulk-operations';
import { BulkQueryOperationStore } from './bulk-query-operations';
import { ConnectionStore } from './connections';
import { DataStoreStore } from './data-stores';
import { DataStoreTransactionStore } from './data-store-transactions';
import { EmailSendStore } from './email-sends';
import { ExecutionStore } from './executions';
import { IeChangeStore } from './ie-changes';
import { IeQuotaStore } from './ie-quota';
import { IncompleteExecutionStore } from './incomplete-executions';
import { OrganizationStore } from './organizations';
import { RunErrorStore } from './run-errors';
import { ScenarioStore } from './scenarios';
import { ScenarioLeaseStore } from './scenario-leases';
import { WebhookIdempotencyStore } from './webhook-idempotency';
import { WebhookQueueStore } from './webhook-queue';
import { WebhookResponseStore } from './webhook-responses';

/** Every collection imex keeps, behind one object: the only code that touches MongoDB. */
export interface Store {
  db: Db;
  /** Seals and opens user-data fields at rest (a no-op without a keyring). */
  cipher: FieldCipher;
  organizations: OrganizationStore;
  scenarios: ScenarioStore;
  executions: ExecutionStore;
  incompleteExecutions: IncompleteExecutionStore;
  /** Each IE's audit trail: who changed what, when, why (`ie_changes`). */
  ieChanges: IeChangeStore;
  blobs: BlobStore;
  /** The organizations' IE storage quota (a ledger race-free on MongoDB and FerretDB). */
  quota: IeQuotaStore;
  apiTokens: ApiTokenStore;
  /** Bulk retry and delete: per-IE verdicts of each operation. */
  bulkOperations: BulkOperationStore;
  /** Bulk retry and delete by query across scenarios: the operations and their ledgers. */
  bulkQueries: BulkQueryOperationStore;
  /** Webhook hook ids and each scenario's durable queue of accepted payloads. */
  webhooks: WebhookQueueStore;
  /** Per-scenario attempt slots, runs in progress and waiting attempts (`scenario_leases`). */
  leases: ScenarioLeaseStore;
  /** Consecutive errors of scheduled and webhook runs started without a coordinator (`scenario_run_errors`). */
  runErrors: RunErrorStore;
  /** Webhook idempotency keys: a resend within the retention answers the first acceptance. */
  webhookKeys: WebhookIdempotencyStore;
  /** Make's data stores: structures, stores and their committed records. */
  dataStores: DataStoreStore;
  /** Runs' staged data-store writes and their commits (data-store-transactions.ts). */
  dataStoreTransactions: DataStoreTransactionStore;
  /** Alert digests: settings, recorded alerts and delivered digests per organization (alerts.ts). */
  alerts: AlertStore;
  /** `email:ActionSendEmail`'s sent log: a retry of a sent operation does not send again. */
  emailSends: EmailSendStore;
  /** Credentials (Make's keychains) that modules name by id; secrets never leave the store but to a module. */
  connections: ConnectionStore;
  /** What `gateway:WebhookRespond` set for a webhook run's caller, by execution id. */
  webhookResponses: WebhookResponseStore;
  close(): Promise<void>;
}

export interface StoreOptions {
  /**
   * Encrypts user data at rest (docs/security.md): blueprints, bundles, blobs, run logs, webhook
   * payloads, data-store records and staged writes, IE change diffs, the e-mail sent log. Without
   * it, new data is written in plaintext; data sealed before is still refused with a clear error.
   */
  keyring?: Keyring;
}

export function createStore(
  db: Db,
  close: () => Promise<void> = async () => undefined,
  options: StoreOptions = {},
): Store {
  const cipher = new FieldCipher(options.keyring);
  const webhooks = new WebhookQueueStore(db, cipher);
  const dataStores = new DataStoreStore(db, cipher);
  return {
    db,
    cipher,
    organizations: new OrganizationStore(db),
    scenarios: new ScenarioStore(db, webhooks, cipher),
    executions: new ExecutionStore(db, cipher),
    incompleteExecutions: new IncompleteExecutionStore(db, cipher),
    ieChanges: new IeChangeStore(db, cipher),
    blobs: new BlobStore(db, { cipher }),
    quota: new IeQuotaStore(db),
    apiTokens: new ApiTokenStore(db),
    bulkOperations: new BulkOperationStore(db),
    bulkQueries: new BulkQueryOperationStore(db),
    webhooks,
    leases: new ScenarioLeaseStore(db),
    runErrors: new RunErrorStore(db),
    webhookKeys: new WebhookIdempotencyStore(db),
    dataStores,
    alerts: new AlertStore(db),
    dataStoreTransactions: new DataStoreTransactionStore(db, dataStores, cipher),
    emailSends: new EmailSendStore(db, cipher),
    connections: new ConnectionStore(db, cipher),
    webhookResponses: new WebhookResponseStore(db, cipher),
    close,
  };
}

/**
 * Connects, creates the indexes, and returns the store. Works on MongoDB 7 and FerretDB.
 * `failFast`: operations give up within seconds while the server is unreachable (the API, which
 * answers 503 then); without it the driver's patient defaults (the worker, whose activities retry).
 */
export async function openStore(
  url: string,
  dbName: string,
  options: { failFast?: boolean } & StoreOptions = {},
): Promise<Store> {
  const client = await MongoClient.connect(url, options.failFast ? failFastStoreOptions : {});
  const store = createStore(client.db(dbName), () => client.close(), options);
  await ensureIndexes(store);
  return store;
}

/**
 * Indexes for the lists the API pages and the lookups the engine makes. Plain 1/-1 keys and
 * `unique` only: FerretDB has no TTL, partial or sparse indexes.
 */
export async function ensureIndexes(store: Store): Promise<void> {
  await store.organizations.collection.createIndex({ name: 1 }, { name: 'name' });
  await store.scenarios.collection.createIndex({ orgId: 1, _id: 1 }, { name: 'org_id' });
  await store.executions.collection.createIndex(
    { orgId: 1, scenarioId: 1, startedAt: -1 },
    { name: 'org_scenario_started' },
  );
  await store.executions.collection.createIndex({ ieId: 1, startedAt: 1 }, { name: 'ie_started' });
  // API tokens: `_id` is the token's hash (authentication); `id` is the public id (revoke).
  await store.apiTokens.collection.createIndex({ id: 1 }, { name: 'id', unique: true });
  await store.apiTokens.collection.createIndex({ orgId: 1, createdAt: 1 }, { name: 'org_created' });
  // IE lists (`GET /dlqs`): equality fields, then the default sort `created` with `_id` (the
  // tie-break) last, so a page is an index range on MongoDB; imex's FerretDB keeps the same
  // shapes as SQLite expression indexes (src/stack/ferretdb/list_index.go). Issue 16.
  const ies = store.incompleteExecutions.collection;
  await dropIndexIfPresent(ies, 'org_scenario_created');
  await dropIndexIfPresent(ies, 'org_status_created');
  await ies.createIndex(
    { orgId: 1, scenarioId: 1, deleted: 1, created: -1, _id: -1 },
    { name: 'org_scenario_deleted_created' },
  );
  await ies.createIndex(
    { orgId: 1, status: 1, deleted: 1, created: -1, _id: -1 },
    { name: 'org_status_deleted_created' },
  );
  await ies.createIndex({ orgId: 1, deleted: 1, created: -1, _id: -1 }, { name: 'org_deleted_created' });
  await store.emailSends.collection.createIndex({ sentAt: 1 }, { name: 'sent_at' });
  await store.webhookResponses.collection.createIndex({ createdAt: 1 }, { name: 'created_at' });
  // A run's IEs (`GET /dlqs?executionId=`, a run's detail): few per run.
  await ies.createIndex({ executionId: 1 }, { name: 'execution' });
  // IE change log: pages are `_id` point reads; purge lists by ieId.
  await store.ieChanges.ensureIndexes();
  // Alerts: a window's unclaimed alerts, claimed when its digest goes.
  await store.alerts.ensureIndexes();
  // Quota: the ledger is read by `_id` only; reconcile lists an organization's holds.
  await store.quota.holds.createIndex({ orgId: 1 }, { name: 'org' });
  // Bulk operations: an operation's items in request order, pending first.
  await store.bulkOperations.items.createIndex({ operationId: 1, done: 1, seq: 1 }, { name: 'operation_done_seq' });
  await store.bulkQueries.ensureIndexes();
  // Webhook queue: entries are inserted by `_id` (`<scenarioId>:<seq>`); the coordinator reads in order.
  await store.webhooks.entries.createIndex({ scenarioId: 1, seq: 1 }, { name: 'scenario_seq' });
  // Webhook idempotency keys: claimed by `_id`; maintenance removes the old ones.
  await store.webhookKeys.keys.createIndex({ createdAt: 1 }, { name: 'created' });
  // Scenario leases: a scenario's attempt slots, runs and waits, read by kind (a handful of documents).
  await store.leases.ensureIndexes();
  // Data stores: records keyed `<storeId>:<key>`, listed in key order; a run's steps by transaction.
  await store.dataStores.ensureIndexes();
  await store.connections.ensureIndexes();
  await store.dataStoreTransactions.ensureIndexes();
  await store.runErrors.ensureIndexes();
}

/** Indexes replaced by wider ones go away (an index of the same name but other keys is refused). */
async function dropIndexIfPresent<T extends Document>(collection: Collection<T>, name: string): Promise<void> {
  try {
    await collection.dropIndex(name);
  } catch (err) {
    // 27 IndexNotFound; 26 NamespaceNotFound (no collection yet).
    if (!(err instanceof MongoServerError && (err.code === 27 || err.code === 26))) throw err;
  }
}
