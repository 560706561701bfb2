/**
 * `maintenance`: one sweep of what keeps incomplete executions bounded and true, started by the
 * Temporal Schedule `imex-maintenance` (every 5 minutes by default; `ensureMaintenanceSchedule`).
 *
 * 1. **Purge** (DESIGN.md §5): resolved IEs stay listed for the retention after resolution
 *    (Make: 30 days), tombstones of deleted IEs as long after deletion; then the documents, their
 *    attempt logs and their quota records go, in bounded batches.
 * 2. **Workflows**: restart IE workflows that are missing, close documents whose workflow had
 *    finished, set right documents stuck `in_progress`, report workflows without a document.
 * 3. **Quota**: each organization's ledger is reconciled with its IE documents.
 * 4. **Webhooks**: the coordinator of each active scenario whose queue holds a payload waiting
 *    longer than a minute is woken (a payload accepted while Temporal was down had no wake-up).
 * 5. **Blobs** (docs/blobs.md): blobs that no IE, run log or queued webhook references, and that
 *    nobody has stored for longer than the grace (7 days), are deleted in bounded batches.
 * 6. **Data stores** (docs/data-stores.md): commits a run recorded and never finished applying (its
 *    workflow was terminated mid-commit) are applied; transactions a run left behind for 7 days are
 *    forgotten, their staged writes discarded.
 *
 * Each step is independent: one that fails is reported and the others still run. What was done
 * goes to the worker's log and to the status document; the report is also the workflow's result.
 */
import { ActivityFailure, patched, proxyActivities } from '@temporalio/workflow';
import type {
  BlobCollectionReport,
  ImexActivities,
  MaintenanceReport,
  QuotaReconcileBatch,
  QuotaRepair,
  WebhookWakeReport,
} from '../activities';

/** Versioning: maintenance runs recorded before blob collection replay without it. */
export const BLOB_COLLECTION_PATCH = 'imex-blob-collection';

/** Versioning: maintenance runs recorded before the webhook wake-up step replay without it. */
export const WEBHOOK_WAKE_PATCH = 'imex-maintenance-wakes-webhooks';
/**
 * Versioning: maintenance finishes data-store commits and forgets transactions that runs left
 * behind (a terminated run); passes recorded before it did not.
 */
export const DATA_STORE_SWEEP_PATCH = 'imex-maintenance-data-stores';
/** A run's data-store transaction untouched this long is one its run left behind (default 7 days). */
const DEFAULT_DATA_STORE_ABANDON_MS = 7 * 24 * 3_600_000;

/**
 * A payload still queued after this long has probably missed its wake-up (accepted while Temporal
 * was down); a coordinator working through a backlog is only asked to look again.
 */
export const DEFAULT_WEBHOOK_WAKE_AFTER_MS = 60_000;

/**
 * Blobs nobody has stored for this long may go if nothing references them: longer than any run
 * takes, its wait in the scenario's queue included (a run holds the references it makes only in
 * Temporal's history until it parks or records its log).
 */
export const DEFAULT_BLOB_GRACE_MS = 7 * 24 * 60 * 60 * 1000;

/** Make: resolved incomplete executions are purged 30 days after resolution. */
export const DEFAULT_PURGE_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

export interface MaintenanceInput {
  /** How long resolved IEs and tombstones are kept after resolution or deletion (default 30 days). */
  purgeAfterMs?: number;
  /**
   * Quota holds, documents and workflows younger than this are left alone: they may be changing
   * right now (default 5 minutes).
   */
  minAgeMs?: number;
  /** IEs purged, or organizations reconciled, per activity (default 200). */
  batchSize?: number;
  /** Purge batches per run; the rest waits for the next run (default 50). */
  maxPurgeBatches?: number;
  /** Workflow repairs per run; the rest waits for the next run (default 100). */
  maxRepairs?: number;
  /** Blobs unused for this long, and referenced by nothing, are deleted (default 7 days). */
  blobGraceMs?: number;
  /** Blob candidates per activity (default 1000) and batches per run (default 20). */
  blobBatchSize?: number;
  maxBlobBatches?: number;
  /** Payloads queued longer than this wake their scenario's coordinator (default: 1 minute, or `minAgeMs` if less). */
  webhookWakeAfterMs?: number;
  /** Data-store transactions with a step older than this are forgotten, their staged writes discarded (default 7 days). */
  dataStoreAbandonAfterMs?: number;
}

const maintain = proxyActivities<ImexActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  // The schedule runs again soon: a step that keeps failing is reported, not retried forever.
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

export async function maintenance(input: MaintenanceInput = {}): Promise<MaintenanceReport> {
  const purgeAfterMs = input.purgeAfterMs ?? DEFAULT_PURGE_AFTER_MS;
  const minAgeMs = input.minAgeMs ?? 5 * 60_000;
  const batchSize = input.batchSize ?? 200;
  const maxPurgeBatches = input.maxPurgeBatches ?? 50;
  const startedAt = new Date().toISOString();
  const errors: string[] = [];

  const purge: MaintenanceReport['purge'] = {
    purged: 0,
    attemptLogs: 0,
    quotaForgotten: 0,
    quotaKept: 0,
    batches: 0,
    more: false,
  };
  await step('purge', errors, async () => {
    for (let more = true; more && purge.batches < maxPurgeBatches;) {
      const batch = await maintain.purgeIncompleteExecutions({ olderThanMs: purgeAfterMs, limit: batchSize });
      purge.batches += 1;
      purge.purged += batch.purged;
      purge.attemptLogs += batch.attemptLogs;
      purge.quotaForgotten += batch.quotaForgotten;
      purge.quotaKept += batch.quotaKept;
      purge.more = more = batch.more;
    }
  });

  // Workflows before quota: closing a document releases its share, which reconcile then sees.
  let workflows: MaintenanceReport['workflows'] = null;
  await step('workflows', errors, async () => {
    workflows = await maintain.reconcileIncompleteExecutionWorkflows({
      minAgeMs,
      maxRepairs: input.maxRepairs ?? 100,
    });
  });

  const quota = { organizations: 0, repairs: [] as QuotaRepair[] };
  await step('quota', errors, async () => {
    for (let after: number | null = 0; after !== null;) {
      const batch: QuotaReconcileBatch = await maintain.reconcileQuotas({
        afterOrgId: after,
        limit: batchSize,
        minHoldAgeMs: minAgeMs,
      });
      quota.organizations += batch.checked;
      quota.repairs.push(...batch.repairs.slice(0, 100 - quota.repairs.length));
      after = batch.nextAfterOrgId;
    }
  });

  let webhooks: MaintenanceReport['webhooks'];
  if (patched(WEBHOOK_WAKE_PATCH)) {
    const wake = { checked: 0, woken: 0, skipped: 0, scenarios: [] as WebhookWakeReport['woken'] };
    webhooks = wake;
    await step('webhooks', errors, async () => {
      for (let after: number | null = 0; after !== null;) {
        const batch: WebhookWakeReport = await maintain.wakeWebhookCoordinators({
          minAgeMs: input.webhookWakeAfterMs ?? Math.min(minAgeMs, DEFAULT_WEBHOOK_WAKE_AFTER_MS),
          afterScenarioId: after,
          limit: batchSize,
        });
        wake.checked += batch.checked;
        wake.woken += batch.wokenCount;
        wake.skipped += batch.skipped;
        wake.scenarios.push(...batch.woken.slice(0, 100 - wake.scenarios.length));
        after = batch.nextAfterScenarioId;
      }
    });
  }

  // After the purge: blobs of the IEs and attempt logs it removed are unreferenced now.
  let blobs: MaintenanceReport['blobs'];
  if (patched(BLOB_COLLECTION_PATCH)) {
    const collected = { candidates: 0, deleted: 0, deletedBytes: 0, referenced: 0, touched: 0, marksForgotten: 0 };
    const sweep = { ...collected, batches: 0, more: false };
    blobs = sweep;
    await step('blobs', errors, async () => {
      for (let afterId: string | null = ''; afterId !== null && sweep.batches < (input.maxBlobBatches ?? 20);) {
        const batch: BlobCollectionReport = await maintain.collectBlobs({
          graceMs: input.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS,
          limit: input.blobBatchSize ?? 1000,
          afterId,
        });
        sweep.batches += 1;
        for (const key of Object.keys(collected) as (keyof typeof collected)[]) sweep[key] += batch[key];
        afterId = batch.nextAfterId;
        sweep.more = afterId !== null;
      }
    });
  }

  let dataStores: MaintenanceReport['dataStores'];
  if (patched(DATA_STORE_SWEEP_PATCH)) {
    const sweep = { commitsFinished: 0, transactionsForgotten: 0 };
    dataStores = sweep;
    await step('dataStores', errors, async () => {
      const swept = await maintain.sweepDataStoreTransactions({
        // A commit's own activity retries it within seconds: one older than this was left behind.
        finishAfterMs: minAgeMs,
        forgetAfterMs: input.dataStoreAbandonAfterMs ?? DEFAULT_DATA_STORE_ABANDON_MS,
        limit: batchSize,
      });
      sweep.commitsFinished += swept.commitsFinished;
      sweep.transactionsForgotten += swept.transactionsForgotten;
    });
  }

  const report: MaintenanceReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    purgeAfterMs,
    purge,
    quota,
    ...(blobs ? { blobs } : {}),
    workflows,
    ...(webhooks ? { webhooks } : {}),
    ...(dataStores ? { dataStores } : {}),
    errors,
  };
  await step('status', errors, () => maintain.recordMaintenanceStatus(report));
  return report;
}

async function step(name: string, errors: string[], run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    errors.push(`${name}: ${err.cause?.message ?? err.message}`);
  }
}
