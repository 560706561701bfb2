/**
 * Activities of the `maintenance` workflow: what keeps incomplete executions from growing without
 * bound or drifting from the truth (issue 6; DESIGN.md §5 "Deleting", "Resolved").
 *
 * - **Purge.** Resolved IEs stay listed for the retention (30 days by default) after resolution,
 *   tombstones of deleted IEs as long after deletion; then their documents, their attempt logs and
 *   their quota records go. FerretDB has no TTL indexes, so this is an app-level sweep in batches.
 * - **Quota.** Per organization, the IE documents that count (not resolved, not deleted) are the
 *   truth; the quota ledger is made to agree with them (`IeQuotaStore.reconcile`).
 * - **Blobs.** Blobs that no IE, run log or queued webhook references and that nobody has stored
 *   for longer than the grace are deleted (src/store/blob-collection.ts, docs/blobs.md).
 * - **Webhooks.** A scenario whose queue holds a payload older than `minAgeMs` has it delivered, as
 *   `POST /hooks` does (src/temporal/webhook-dispatch.ts: its run started, or a sequential
 *   scenario's coordinator woken): a payload accepted while Temporal was down had no delivery, and
 *   would otherwise wait for the scenario's next webhook or run.
 * - **Workflows.** Every open IE document has a running `ie-<ieId>` workflow (else it is restarted
 *   from the document); every running IE workflow has a document (else it is reported); an IE
 *   `in_progress` has an open attempt (else its document is set right from the workflow, or it is
 *   reported as stuck).
 * - **Webhook idempotency keys** older than their retention go (with the purge), and the e-mail
 *   sent log (`email_sends`) older than the purge age.
 *
 * Everything younger than `minAgeMs` is left alone: it may be changing right now (a reservation
 * before its document, a workflow before visibility shows it). What was fixed goes to the
 * worker's log and to the status document (`maintenance_status`).
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import {
  ieWorkflowId,
  incompleteExecutionWriteThrough,
  type IeStatus,
  type IncompleteExecutionState,
  type RetrySchedule,
} from '../src/domain';
import {
  closedAs,
  collectUnusedBlobs,
  type BlobCollectionReport,
  type IncompleteExecutionSummary,
  type Store,
} from '../src/store';
import { startIncompleteExecutionWorkflow } from './start-incomplete-execution';
import { MaintenanceStatusStore } from '../src/store/maintenance-status';
import { createOperatorEvents, type OperatorEvents } from '../src/observability/operator-events';
import { scenariosWithWaitingWebhooks } from '../src/store/webhook-backlog';
import { WEBHOOK_IDEMPOTENCY_RETENTION_MS } from '../src/store/webhook-idempotency';
import { REQUEST_KEY_RETENTION_MS } from '../src/store/request-keys';
import { createWebhookDispatch } from '../src/temporal/webhook-dispatch';
import { stateQuery } from '../workflows/incomplete-execution-messages';

export interface MaintenanceDeps {
  store: Store;
  client: Client;
  taskQueue: string;
  schedule: RetrySchedule;
  /** Counts each finished pass and what it repaired (counted without logs when absent). */
  events?: OperatorEvents;
  /** The deployment's bound on parallel runs of one scenario (webhook delivery). */
  maxConcurrentRuns?: number;
}

export interface PurgeBatchInput {
  /** Resolved IEs and tombstones older than this (since resolution or deletion) go. */
  olderThanMs: number;
  limit: number;
}

export interface PurgeBatchReport {
  purged: number;
  attemptLogs: number;
  /** IEs whose quota records were removed. */
  quotaForgotten: number;
  /**
   * IEs whose quota records stay: the ledger refuses to forget a release younger than its grace.
   * They hold no bytes and nothing counts them; they are only left-over history.
   */
  quotaKept: number;
  /** A full batch: there may be more to purge. */
  more: boolean;
}

export interface QuotaReconcileInput {
  /** Organizations after this id (0 for the first page). */
  afterOrgId: number;
  limit: number;
  /** Holds without an IE younger than this are left alone (their IE may be being stored). */
  minHoldAgeMs: number;
}

export interface QuotaRepair {
  orgId: number;
  usedBefore: number;
  usedAfter: number;
  /** What the ledger charged minus the truth: positive when it charged too much. */
  drift: number;
  /** Keys (ieIds) whose holds were released, charged or re-charged (at most 100 each). */
  released: string[];
  charged: string[];
  resized: string[];
  /** Correction appended to the ledger's total, in bytes. */
  adjusted: number;
}

export interface QuotaReconcileBatch {
  checked: number;
  repairs: QuotaRepair[];
  /** The last organization checked, or null when there are no more. */
  nextAfterOrgId: number | null;
}

export type { BlobCollectionReport };

export interface BlobCollectionInput {
  /** Blobs nobody has stored for this long, and that nothing references, go. */
  graceMs: number;
  limit: number;
  /** The batch starts after this blob id ('' for the first). */
  afterId: string;
}

export interface WebhookWakeInput {
  /** Payloads received longer ago than this and still queued: their coordinator is woken. */
  minAgeMs: number;
  /** Scenarios after this id ('0' for the first page), at most `limit`. */
  afterScenarioId: number;
  limit: number;
}

export interface WebhookWakeReport {
  /** Scenarios with a payload waiting longer than `minAgeMs`. */
  checked: number;
  /** Scenarios whose payloads were delivered (runs started, or a sequential scenario's coordinator signalled). */
  wokenCount: number;
  /** The first of them (at most 100), with the oldest waiting payload. */
  woken: { scenarioId: number; oldestSeq: number; waitingSinceMs: number }[];
  /** Inactive or deleted scenarios: their payloads wait for reactivation, which wakes them. */
  skipped: number;
  /** The last scenario looked at, or null when there are no more. */
  nextAfterScenarioId: number | null;
}

export interface WorkflowReconcileInput {
  minAgeMs: number;
  /** Repairs per run; the rest waits for the next run. */
  maxRepairs: number;
}

export interface WorkflowReconcileReport {
  /** Open IE documents looked at. */
  checked: number;
  runningWorkflows: number;
  /** IE documents without a running workflow, restarted from the document. */
  restarted: { ieId: string; reason: string }[];
  /** IE documents closed from what their workflow or attempt had done (the write-through was lost). */
  closed: { ieId: string; as: 'resolved' | 'deleted'; reason: string }[];
  /** IE documents `in_progress` without an open attempt, set right from the workflow's state. */
  resynced: { ieId: string; from: IeStatus; to: IeStatus }[];
  /** Running IE workflows without an open document (reported; a person decides). */
  orphanWorkflows: { workflowId: string; reason: string }[];
  /** IEs that cannot make progress and that no repair here can fix (reported). */
  stuck: { ieId: string; reason: string }[];
  /** Repairs left for the next run (`maxRepairs` reached). */
  deferred: number;
  /** Exact sizes of the lists above (each list carries at most 100 entries). */
  counts: { restarted: number; closed: number; resynced: number; orphanWorkflows: number; stuck: number };
}

/** The most entries of one kind a report carries (the counts stay exact). */
const REPORT_LIST_MAX = 100;

export function createMaintenanceActivities(deps: MaintenanceDeps) {
  const { client } = deps;
  const { deliverWebhooks } = createWebhookDispatch(deps);
  const statusStore = () => new MaintenanceStatusStore(deps.store.db);
  const events = deps.events ?? createOperatorEvents();

  async function purgeIncompleteExecutions(input: PurgeBatchInput): Promise<PurgeBatchReport> {
    const { store } = deps;
    const before = new Date(Date.now() - input.olderThanMs);
    const batch = await store.incompleteExecutions.purgeable(before, input.limit);
    // Quota records first, documents last: an interrupted purge is found again by the next sweep.
    let quotaForgotten = 0;
    for (const { ieId, orgId } of batch) {
      // A resolved or deleted IE holds nothing; release (a no-op almost always) makes sure of it.
      await store.quota.release(orgId, ieId);
      if (await store.quota.forget(orgId, ieId)) quotaForgotten += 1;
      heartbeat();
    }
    await store.webhookKeys.purgeOlderThan(new Date(Date.now() - WEBHOOK_IDEMPOTENCY_RETENTION_MS));
    await store.requestKeys.purgeOlderThan(new Date(Date.now() - REQUEST_KEY_RETENTION_MS));
    // Sent e-mails and webhook responses are remembered as long as an IE could retry their operation.
    await store.emailSends.purgeOlderThan(before);
    await store.webhookResponses.purgeOlderThan(before);
    const removed = await store.incompleteExecutions.purge(
      batch.map((ie) => ie.ieId),
      store.executions,
      store.ieChanges,
    );
    return {
      purged: removed.documents,
      attemptLogs: removed.attemptLogs,
      quotaForgotten,
      quotaKept: batch.length - quotaForgotten,
      more: batch.length === input.limit,
    };
  }

  async function reconcileQuotas(input: QuotaReconcileInput): Promise<QuotaReconcileBatch> {
    const { store } = deps;
    const orgs = await store.organizations.collection
      .find({ _id: { $gt: input.afterOrgId } }, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .limit(input.limit)
      .toArray();
    const repairs: QuotaRepair[] = [];
    for (const { _id: orgId } of orgs) {
      const actual = await store.incompleteExecutions.openSizes(orgId);
      const report = await store.quota.reconcile(orgId, actual, { minHoldAgeMs: input.minHoldAgeMs });
      heartbeat(orgId);
      const changed =
        report.released.length + report.charged.length + report.resized.length > 0 || report.adjusted !== 0;
      if (!changed && report.drift === 0) continue;
      repairs.push({
        orgId,
        usedBefore: report.usedBefore,
        usedAfter: report.usedAfter,
        drift: report.drift,
        released: report.released.map((r) => r.key).slice(0, REPORT_LIST_MAX),
        charged: report.charged.map((c) => c.key).slice(0, REPORT_LIST_MAX),
        resized: report.resized.map((r) => r.key).slice(0, REPORT_LIST_MAX),
        adjusted: report.adjusted,
      });
    }
    const last = orgs[orgs.length - 1];
    return {
      checked: orgs.length,
      repairs,
      nextAfterOrgId: last && orgs.length === input.limit ? last._id : null,
    };
  }

  async function collectBlobs(input: BlobCollectionInput): Promise<BlobCollectionReport> {
    const { store } = deps;
    return collectUnusedBlobs(store.db, store.blobs, {
      graceMs: input.graceMs,
      limit: input.limit,
      afterId: input.afterId,
      heartbeat: () => heartbeat(),
    });
  }

  /**
   * Delivers the payloads of every scenario whose webhook payloads wait longer than they should:
   * their runs are started (a scenario that is not sequential) or the coordinator is woken (a
   * sequential one). Idempotent: each payload's run is started under the execution id its entry
   * fixed, so a second pass runs nothing twice.
   */
  async function wakeWebhookCoordinators(input: WebhookWakeInput): Promise<WebhookWakeReport> {
    const { store } = deps;
    const now = Date.now();
    const backlog = await scenariosWithWaitingWebhooks(store.webhooks, {
      receivedBefore: new Date(now - input.minAgeMs),
      afterScenarioId: input.afterScenarioId,
      limit: input.limit,
    });
    const report: WebhookWakeReport = {
      checked: backlog.length,
      wokenCount: 0,
      woken: [],
      skipped: 0,
      nextAfterScenarioId: null,
    };
    for (const waiting of backlog) {
      heartbeat(waiting.scenarioId);
      const scenario = await store.scenarios.get(waiting.orgId, waiting.scenarioId);
      if (!scenario?.isActive) {
        report.skipped += 1;
        continue;
      }
      // Started here for a scenario that is not sequential; a sequential one's coordinator is woken.
      await deliverWebhooks({ orgId: waiting.orgId, scenarioId: waiting.scenarioId });
      report.wokenCount += 1;
      if (report.woken.length < REPORT_LIST_MAX) {
        report.woken.push({
          scenarioId: waiting.scenarioId,
          oldestSeq: waiting.oldestSeq,
          waitingSinceMs: now - waiting.oldestReceivedAt.getTime(),
        });
      }
    }
    const last = backlog[backlog.length - 1];
    report.nextAfterScenarioId = last && backlog.length === input.limit ? last.scenarioId : null;
    return report;
  }

  async function reconcileIncompleteExecutionWorkflows(
    input: WorkflowReconcileInput,
  ): Promise<WorkflowReconcileReport> {
    const ies = deps.store.incompleteExecutions;
    const cutoff = Date.now() - input.minAgeMs;
    const report: WorkflowReconcileReport = {
      checked: 0,
      runningWorkflows: 0,
      restarted: [],
      closed: [],
      resynced: [],
      orphanWorkflows: [],
      stuck: [],
      deferred: 0,
      counts: { restarted: 0, closed: 0, resynced: 0, orphanWorkflows: 0, stuck: 0 },
    };
    let repairs = 0;
    const budget = () => {
      if (repairs < input.maxRepairs) return true;
      report.deferred += 1;
      return false;
    };

    // Visibility first: a workflow started after this listing is younger than the cutoff anyway.
    const running = await runningIncompleteExecutionWorkflows();
    report.runningWorkflows = running.size;

    const open = new Set<string>();
    for await (const doc of ies.open()) {
      open.add(doc._id);
      report.checked += 1;
      if (report.checked % 200 === 0) heartbeat(report.checked);
      if (doc.updatedAt.getTime() > cutoff) continue; // changing right now: the next run looks again
      if (!running.has(doc._id)) {
        if (budget() && (await repairMissingWorkflow(doc, report))) repairs += 1;
      } else if (doc.status === 'in_progress') {
        if (budget() && (await repairInProgress(doc, report))) repairs += 1;
      }
    }

    // Running workflows without an open document.
    const unknown = [...running].filter(([ieId, startTime]) => !open.has(ieId) && startTime.getTime() <= cutoff);
    for (let i = 0; i < unknown.length; i += 500) {
      const page = unknown.slice(i, i + 500);
      const docs = await ies.findMany(page.map(([ieId]) => ieId));
      for (const [ieId] of page) {
        const doc = docs.get(ieId);
        const workflowId = ieWorkflowId(ieId);
        if (!doc) report.orphanWorkflows.push({ workflowId, reason: 'no incomplete-execution document' });
        else if (doc.deleted || doc.resolved) {
          const closedAt = (doc.deleted ? doc.deletedAt : doc.resolvedAt)?.getTime() ?? 0;
          if (closedAt <= cutoff) {
            const state = doc.deleted ? 'deleted' : 'resolved';
            report.orphanWorkflows.push({ workflowId, reason: `the incomplete execution is ${state}` });
          }
        }
        // else: opened after the scan passed its id; the next run looks again.
      }
    }
    return capLists(report);
  }

  async function recordMaintenanceStatus(report: MaintenanceReport): Promise<void> {
    const counts = report.workflows?.counts;
    const repaired =
      report.purge.purged > 0 ||
      (report.blobs?.deleted ?? 0) > 0 ||
      (report.webhooks?.woken ?? 0) > 0 ||
      (report.dataStores?.commitsFinished ?? 0) > 0 ||
      (report.dataStores?.transactionsForgotten ?? 0) > 0 ||
      report.quota.repairs.length > 0 ||
      (counts !== undefined && Object.values(counts).some((n) => n > 0));
    await statusStore().record(report as unknown as Record<string, unknown>, repaired);
    const attention = report.errors.length > 0 || (counts?.orphanWorkflows ?? 0) > 0 || (counts?.stuck ?? 0) > 0;
    events.maintenanceFinished(
      attention ? 'attention' : repaired ? 'repaired' : 'clean',
      {
        purged: report.purge.purged,
        blobs_deleted: report.blobs?.deleted ?? 0,
        webhooks_woken: report.webhooks?.woken ?? 0,
        quota_repairs: report.quota.repairs.length,
        workflows_restarted: counts?.restarted ?? 0,
        closed: counts?.closed ?? 0,
        resynced: counts?.resynced ?? 0,
        orphan_workflows: counts?.orphanWorkflows ?? 0,
        stuck: counts?.stuck ?? 0,
        errors: report.errors.length,
      },
      report.quota.repairs.reduce((sum, r) => sum + Math.abs(r.drift), 0),
    );
    const log = currentActivity()?.log;
    if (!log) return;
    const summary = {
      purged: report.purge.purged,
      attemptLogs: report.purge.attemptLogs,
      quotaOrganizations: report.quota.organizations,
      quotaRepairs: report.quota.repairs,
      blobsDeleted: report.blobs?.deleted,
      blobBytesDeleted: report.blobs?.deletedBytes,
      webhookCoordinatorsWoken: report.webhooks?.scenarios,
      dataStoreCommitsFinished: report.dataStores?.commitsFinished,
      dataStoreTransactionsForgotten: report.dataStores?.transactionsForgotten,
      restarted: report.workflows?.restarted,
      closed: report.workflows?.closed,
      resynced: report.workflows?.resynced,
      orphanWorkflows: report.workflows?.orphanWorkflows,
      stuck: report.workflows?.stuck,
      errors: report.errors,
    };
    if (report.errors.length || report.workflows?.orphanWorkflows.length || report.workflows?.stuck.length) {
      log.warn('imex maintenance: needs attention', summary);
    } else if (repaired) {
      log.info('imex maintenance: repaired', summary);
    } else {
      log.debug('imex maintenance: nothing to do', summary);
    }
  }

  /** ieId → start time of every running `incompleteExecution` workflow on imex's task queue. */
  async function runningIncompleteExecutionWorkflows(): Promise<Map<string, Date>> {
    const query =
      `WorkflowType = 'incompleteExecution' AND ExecutionStatus = 'Running' ` +
      `AND TaskQueue = '${deps.taskQueue.replace(/'/g, "\\'")}'`;
    const running = new Map<string, Date>();
    for await (const wf of client.workflow.list({ query })) {
      if (wf.workflowId.startsWith('ie-')) running.set(wf.workflowId.slice('ie-'.length), wf.startTime);
      if (running.size % 500 === 0) heartbeat(running.size);
    }
    return running;
  }

  async function describe(ieId: string): Promise<WorkflowExecutionDescription | null> {
    try {
      return await client.workflow.getHandle(ieWorkflowId(ieId)).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  /** An open IE document whose workflow is not running. Answers whether it repaired something. */
  async function repairMissingWorkflow(doc: IncompleteExecutionSummary, report: WorkflowReconcileReport) {
    const ieId = doc._id;
    const description = await describe(ieId);
    const status = description?.status.name;
    if (status === 'RUNNING') return false; // visibility lagged behind

    if (status === 'COMPLETED') {
      // The workflow ends only after writing its end through; if that write is lost, its result tells.
      const final = (await client.workflow.getHandle(ieWorkflowId(ieId)).result()) as IncompleteExecutionState;
      if (final.resolved || final.deleted) {
        const as = final.deleted ? 'deleted' : 'resolved';
        await closeDocument(doc, as);
        report.closed.push({ ieId, as, reason: `its workflow ended ${as}` });
        return true;
      }
    }

    if (doc.status === 'in_progress') {
      // Attempts are abandoned, not killed, when their IE workflow ends: one may still run or have won.
      if (await attemptStillRunning(ieId)) return false;
      const attempts = await deps.store.executions.listByIncompleteExecution(ieId);
      const won = attempts.find(
        (a) => a.startedAt.getTime() >= doc.updatedAt.getTime() && (a.status === 'success' || a.status === 'warning'),
      );
      if (won) {
        await closeDocument(doc, 'resolved');
        report.closed.push({
          ieId,
          as: 'resolved',
          reason: `attempt ${won.executionId} succeeded after its workflow ended`,
        });
        return true;
      }
    }

    const full = await deps.store.incompleteExecutions.get(ieId);
    if (closedAs(full)) return false; // deleted or resolved meanwhile: a closed IE stays closed
    if (!full?.blueprint || full.context === undefined) {
      report.stuck.push({ ieId, reason: 'no running workflow, and no stored blueprint or bundles to restart it with' });
      return false;
    }
    const reason = description ? `its workflow ended ${status}` : 'it had no workflow';
    // The document as it is now (read after the workflow was found gone): a closed IE is never restarted.
    await startIncompleteExecutionWorkflow(client, {
      taskQueue: deps.taskQueue,
      doc: full,
      defaultSchedule: deps.schedule,
      note: 'restarted by maintenance',
    });
    report.restarted.push({ ieId, reason });
    return true;
  }

  /** An open IE `in_progress` with a running workflow: is there an attempt? */
  async function repairInProgress(doc: IncompleteExecutionSummary, report: WorkflowReconcileReport) {
    const ieId = doc._id;
    const description = await describe(ieId);
    if (description?.status.name !== 'RUNNING') return false; // ended meanwhile: the next run restarts it
    if ((description.raw.pendingChildren ?? []).length > 0) return false; // the attempt is open
    const state = await client.workflow.getHandle(ieWorkflowId(ieId)).query(stateQuery);
    if (state.status !== 'in_progress') {
      // The workflow moved on; its write-through did not reach the document.
      await deps.store.incompleteExecutions.applyChange(ieId, incompleteExecutionWriteThrough(state));
      report.resynced.push({ ieId, from: doc.status, to: state.status });
      return true;
    }
    const failing = (description.raw.pendingActivities ?? []).find((a) => a.lastFailure?.message);
    report.stuck.push({
      ieId,
      reason: failing
        ? `in progress without an open attempt; ${failing.activityType?.name ?? 'an activity'} keeps failing: ${failing.lastFailure?.message}`
        : 'in progress without an open attempt',
    });
    return false;
  }

  async function attemptStillRunning(ieId: string): Promise<boolean> {
    const query =
      `WorkflowType = 'scenarioRun' AND ExecutionStatus = 'Running' ` +
      `AND ParentWorkflowId = '${ieWorkflowId(ieId)}'`;
    for await (const _ of client.workflow.list({ query, pageSize: 1 })) return true;
    return false;
  }

  async function closeDocument(doc: IncompleteExecutionSummary, as: 'resolved' | 'deleted'): Promise<void> {
    const ies = deps.store.incompleteExecutions;
    if (as === 'resolved') await ies.markResolved(doc._id);
    else await ies.markDeleted(doc._id);
    await deps.store.quota.release(doc.orgId, doc._id);
  }

  return {
    purgeIncompleteExecutions,
    reconcileQuotas,
    collectBlobs,
    wakeWebhookCoordinators,
    reconcileIncompleteExecutionWorkflows,
    recordMaintenanceStatus,
  };
}

/** What one maintenance run did: the workflow's result and the status document's `lastRun`. */
export interface MaintenanceReport {
  startedAt: string;
  finishedAt: string;
  purgeAfterMs: number;
  purge: Omit<PurgeBatchReport, 'more'> & { batches: number; more: boolean };
  quota: { organizations: number; repairs: QuotaRepair[] };
  /** Blob collection (absent in runs recorded before it existed). */
  blobs?: Omit<BlobCollectionReport, 'nextAfterId'> & { batches: number; more: boolean };
  /** Null when the step failed (see `errors`). */
  workflows: WorkflowReconcileReport | null;
  /** Coordinators woken for waiting webhook payloads (absent in runs recorded before the step). */
  webhooks?: { checked: number; woken: number; skipped: number; scenarios: WebhookWakeReport['woken'] };
  /** Data-store transactions runs left behind (absent in runs recorded before the step). */
  dataStores?: { commitsFinished: number; transactionsForgotten: number };
  errors: string[];
}

function capLists(report: WorkflowReconcileReport): WorkflowReconcileReport {
  return {
    ...report,
    counts: {
      restarted: report.restarted.length,
      closed: report.closed.length,
      resynced: report.resynced.length,
      orphanWorkflows: report.orphanWorkflows.length,
      stuck: report.stuck.length,
    },
    restarted: report.restarted.slice(0, REPORT_LIST_MAX),
    closed: report.closed.slice(0, REPORT_LIST_MAX),
    resynced: report.resynced.slice(0, REPORT_LIST_MAX),
    orphanWorkflows: report.orphanWorkflows.slice(0, REPORT_LIST_MAX),
    stuck: report.stuck.slice(0, REPORT_LIST_MAX),
  };
}

/** The activity context, or undefined when called directly (tests, scripts). */
function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function heartbeat(details?: unknown): void {
  currentActivity()?.heartbeat(details);
}
