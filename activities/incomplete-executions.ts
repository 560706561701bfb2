/**
 * Activities of incomplete executions: storing one when a run parks a bundle, and writing the
 * IE workflow's lifecycle through to MongoDB (the source of truth for lists, DESIGN.md §4).
 *
 * Storing is idempotent end to end (DESIGN.md §8): the ieId is derived from the run, the failed
 * module and the bundle index, the document insert finds an existing one, and starting the
 * workflow `ie-<ieId>` that is already running is fine. A crash at any point, and the replay
 * after it, never make two IEs or none; nor does it reopen an IE that was deleted or resolved
 * meanwhile, start a second workflow for it or charge its quota again.
 */
import crypto from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { boundContext } from './bundle-refs';
import { createQuotaLimits } from './quota-limit';
import { startIncompleteExecutionWorkflow } from './start-incomplete-execution';
import { toBundleOrRefs } from './bundle-refs';
import { blueprintDiff, bundlesDiff, deletionDiff } from './ie-change-diff';
import type { Client } from '@temporalio/client';
import {
  contextBefore,
  findForbiddenJsonKeys,
  findModulePosition,
  planRetry,
  ieIdSource,
  validateBlueprint,
  type Blueprint,
  type BundleContext,
  type BundleOrRef,
  type IeChangeDiff,
  type IeChangeStamp,
  type FailedBundle,
  type ParkedBundle,
  type CheckedIncompleteExecutionRequest,
  type RetrySchedule,
} from '../src/domain';
import { moduleEffects, type ModuleRegistry } from '../src/modules';
import { parkAlert, quotaAlert, quotaDeactivationAlert, unresolvedAlert } from './ie-alerts';
import { recordAlert, type AlertToRecord } from '../src/temporal/alert-recorder';
import { createOperatorEvents, type IeRef, type OperatorEvents } from '../src/observability/operator-events';
import {
  closedAs,
  isBlobRef,
  type ClosedAs,
  type IncompleteExecutionChange,
  type IncompleteExecutionDocument,
  type Store,
} from '../src/store';

export interface ParkInput {
  orgId: number;
  scenarioId: number;
  scenarioName: string;
  executionId: string;
  blueprint: Blueprint;
  failed: FailedBundle;
  /** This IE's auto-retry schedule (a Break's count × interval, or the scenario's); the deployment's when absent. */
  schedule?: number[];
  /** The run's order key, hashed (ordering per key): the IE holds back that key's payloads only. */
  orderKey?: string;
  /** An attempt's other failed bundle: the IE whose order key (if any) it takes. */
  orderKeyOfIe?: string;
}

export type ParkOutput = { parked: ParkedBundle; stopRun?: undefined } | { stopRun: string; parked?: undefined };

export interface AttemptInput {
  blueprint: Blueprint;
  context: BundleContext;
  failer: number;
  bundleIndex: number;
  executionId: string;
  /** The attempt starts before the failed module (`failer` names that earlier module): see ResumeFrom. */
  rerun?: boolean;
}

export interface IncompleteExecutionDeps {
  store: Store;
  registry: ModuleRegistry;
  client: Client;
  taskQueue: string;
  schedule: RetrySchedule;
  /** Counts and logs parks, attempts and requests (counted only, without a logger, when absent). */
  events?: OperatorEvents;
}

export function ieIdFor(executionId: string, failer: number, bundleIndex: number): string {
  return crypto
    .createHash('sha256')
    .update(ieIdSource(executionId, failer, bundleIndex))
    .digest('hex')
    .slice(0, 32);
}

/**
 * A PATCH's bundles (Make's `/bundle` shape) → the module outputs it changes, keyed by module id.
 * Only modules before the failer can be given a bundle; the failer's `{ error }` entry may come
 * back as `GET /bundle` shows it and is left alone (not editable). Anything else is refused with
 * the path, never dropped: the answer is the reason.
 */
export function bundlesToMerge(
  bundles: Record<string, { value?: unknown; error?: unknown }>,
  failer: number,
  before: readonly { id: number }[],
  storedFailer = failer,
): { ok: true; values: BundleContext } | { ok: false; reason: string } {
  const earlier = new Set(before.map((m) => String(m.id)));
  const values: BundleContext = {};
  for (const [moduleId, entry] of Object.entries(bundles)) {
    if (entry.value === undefined) {
      // The error entry `GET /bundle` showed (the stored failer's), also when the failer moves.
      if (entry.error !== undefined && (moduleId === String(failer) || moduleId === String(storedFailer))) continue;
      return { ok: false, reason: `bundles.${moduleId}.value: required (only the failed module's entry has none)` };
    }
    if (!earlier.has(moduleId)) {
      return { ok: false, reason: `bundles.${moduleId}: module ${moduleId} is not before the failer ${failer}` };
    }
    const value = entry.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, reason: `bundles.${moduleId}.value: must be a JSON object (the bundle a module outputs)` };
    }
    // The API checks keys before it stages large values as blob references; a request sent through
    // Temporal directly gets the same check here (a staged reference itself is the one `$` key allowed).
    const [forbidden] = isStagedBlobRef(value) ? [] : findForbiddenJsonKeys(value, 'imex', 1);
    if (forbidden) {
      return { ok: false, reason: `bundles.${moduleId}.value.${forbidden.path.join('.')}: ${forbidden.message}` };
    }
    values[moduleId] = value as Record<string, unknown>;
  }
  return { ok: true, values };
}

/** Exactly the reference the API stages for a large value (`{ $imexBlob, bytes }`), nothing more. */
function isStagedBlobRef(value: unknown): boolean {
  return isBlobRef(value) && Object.keys(value).length === 2 && typeof value.bytes === 'number';
}

export function createIncompleteExecutionActivities(deps: IncompleteExecutionDeps) {
  const { store, client } = deps;
  const ies = store.incompleteExecutions;
  const limits = createQuotaLimits(store);
  const events = deps.events ?? createOperatorEvents();
  const refOf = (doc: IncompleteExecutionDocument): IeRef => ({
    orgId: doc.orgId,
    scenarioId: doc.scenarioId,
    ieId: doc._id,
    executionId: doc.executionId,
  });

  async function parkIncompleteExecution(input: ParkInput): Promise<ParkOutput> {
    const { failed } = input;
    const ieId = ieIdFor(input.executionId, failed.failer, failed.bundleIndex);
    const retry = failed.outcome === 'park-auto-retry';
    const orderKey = input.orderKey ?? (input.orderKeyOfIe ? (await ies.get(input.orderKeyOfIe))?.orderKey : undefined);
    const candidate = await ies.build({
      ieId,
      orgId: input.orgId,
      scenarioId: input.scenarioId,
      scenarioName: input.scenarioName,
      executionId: input.executionId,
      failer: failed.failer,
      bundleIndex: failed.bundleIndex,
      blueprint: input.blueprint,
      context: failed.context,
      error: failed.error,
      retry,
      ...(input.schedule ? { schedule: input.schedule } : {}),
      ...(orderKey === undefined ? {} : { orderKey }),
    });

    const stored = { parked: { failer: failed.failer, bundleIndex: failed.bundleIndex, ieId, error: failed.error } };
    const ref: IeRef = { orgId: input.orgId, scenarioId: input.scenarioId, ieId, executionId: input.executionId };
    const parked = (outcome: Parameters<OperatorEvents['parked']>[1]['outcome']) =>
      events.parked(ref, { errorType: failed.error.type, outcome, failer: failed.failer });
    // A closed IE stays closed: a park replayed after its IE was deleted or resolved (a crash in
    // that window, a reset of the run) finds its document and charges, writes and starts nothing.
    // The organization's limit is read meanwhile (cached for a few seconds: quota-limit.ts).
    const [existing, limit] = await Promise.all([ies.get(ieId), limits.limit(input.orgId)]);
    if (closedAs(existing)) {
      parked('already_closed');
      return stored;
    }

    // The organization's storage quota first: nothing is written that would exceed it. The
    // reservation is idempotent per IE, so a replay after a crash does not charge twice.
    let reservation = await store.quota.reserve(input.orgId, ieId, candidate.size, limit);
    if (!reservation.ok) {
      // A refusal on a cached limit is taken only if the organization's current limit agrees.
      const current = await limits.limit(input.orgId, { fresh: true });
      if (current !== limit) reservation = await store.quota.reserve(input.orgId, ieId, candidate.size, current);
    }
    if (!reservation.ok) {
      const full =
        `the organization's incomplete-executions storage is full (${reservation.used} of ${reservation.limit} bytes used; ` +
        `this incomplete execution needs ${candidate.size})`;
      const settings = input.blueprint.metadata.scenario;
      if (settings.dataloss) {
        // Make's "enable data loss": the bundle is dropped, the run goes on with a warning.
        parked('discarded');
        return {
          parked: {
            failer: failed.failer,
            bundleIndex: failed.bundleIndex,
            error: failed.error,
            discarded: `data loss: module ${failed.failer}, bundle ${failed.bundleIndex} (${candidate.size} bytes) was not stored: ${full}`,
          },
        };
      }
      await store.scenarios.update(input.orgId, input.scenarioId, {
        isActive: false,
        deactivationReason: `deactivated: ${full}`,
      });
      parked('refused_quota_full');
      await recordAlert(deps, quotaAlert(input.orgId, reservation.used, reservation.limit, true) as AlertToRecord);
      await recordAlert(deps, quotaDeactivationAlert(input.orgId, input.scenarioId, full));
      return { stopRun: `${failed.error.type} at module ${failed.failer} could not be stored: ${full}` };
    }

    const doc = await ies.insert(candidate);
    if (closedAs(doc)) {
      // Closed between the look above and the reservation: what it charged again goes back.
      await store.quota.release(input.orgId, ieId);
      parked('already_closed');
      return stored;
    }
    // The first start only: once `ie-<ieId>` has run, it owns the IE (maintenance restarts a lost one).
    await startIncompleteExecutionWorkflow(client, {
      taskQueue: deps.taskQueue,
      doc,
      defaultSchedule: deps.schedule,
      firstStart: true,
    });
    parked('stored');
    await recordAlert(deps, parkAlert(doc));
    const quota = quotaAlert(input.orgId, reservation.used, reservation.limit, false);
    if (quota) await recordAlert(deps, quota);
    return stored;
  }

  /**
   * What the next attempt runs: from the failed module with every stored bundle, or, when a retry
   * asked to start `from` an earlier module, the plan from there (src/domain/retry-plan.ts) with
   * the stored bundles of the modules before it.
   */
  async function prepareAttempt(ieId: string, options: { from?: number } = {}): Promise<AttemptInput> {
    const doc = await ies.get(ieId);
    if (!doc?.blueprint || doc.context === undefined) {
      // Retrying cannot bring the data back: let the IE wait for a person instead.
      if (doc) events.attemptFinished(refOf(doc), { outcome: 'not_run', errorType: 'MissingData' });
      throw ApplicationFailure.nonRetryable(
        `incomplete execution ${ieId} has no stored blueprint or bundles`,
        'MissingData',
      );
    }
    const blueprint = JSON.parse(doc.blueprint) as Blueprint;
    let context = JSON.parse(doc.context) as BundleContext;
    let startsAt = doc.failer;
    if (options.from !== undefined && options.from !== doc.failer) {
      const verdict = planRetry({
        blueprint,
        choice: 'stored',
        failer: doc.failer,
        context,
        from: options.from,
        effectsOf: moduleEffects,
      });
      if (!verdict.ok) {
        // The API checked the start; the IE changed since (a patch): a person has to look.
        events.attemptFinished(refOf(doc), { outcome: 'not_run', errorType: 'InvalidConfigurationError' });
        throw ApplicationFailure.nonRetryable(`${verdict.field}: ${verdict.reason}`, 'InvalidConfigurationError');
      }
      startsAt = verdict.plan.startsAt;
      context = contextBefore(blueprint, startsAt, context);
    }
    const prepared: AttemptInput = {
      blueprint,
      // Whatever the stored context holds (many inline bundles, a large edit), the attempt's
      // input stays under the payload bound: large bundles go by reference (bundle-refs.ts).
      context: await boundContext(store.blobs, context, {
        byReference: blueprint.metadata?.scenario?.confidential === true,
      }),
      failer: startsAt,
      bundleIndex: doc.bundleIndex,
      executionId: doc.executionId,
      ...(startsAt === doc.failer ? {} : { rerun: true }),
    };
    events.attemptStarted(refOf(doc), { failer: startsAt });
    return prepared;
  }

  /** Writes the workflow's state through; answers how the IE is closed when it is (nothing is written then). */
  async function syncIncompleteExecution(
    ieId: string,
    change: IncompleteExecutionChange,
  ): Promise<{ closed?: ClosedAs }> {
    const result = await ies.applyChange(ieId, {
      ...change,
      ...(change.nextRetryAt === undefined ? {} : { nextRetryAt: change.nextRetryAt && new Date(change.nextRetryAt) }),
    });
    if (change.status === 'unresolved' && !result.closed) {
      const doc = await ies.collection.findOne(
        { _id: ieId },
        { projection: { orgId: 1, scenarioId: 1, status: 1, attempts: 1, error: 1, failer: 1 } },
      );
      if (doc) await recordAlert(deps, unresolvedAlert(doc));
    }
    return result;
  }

  async function recordAttemptFailure(ieId: string, failed: FailedBundle): Promise<void> {
    await ies.moveFailer(ieId, failed.failer, failed.bundleIndex, failed.context, failed.error);
    const doc = await chargeStoredSize(ieId);
    if (doc)
      events.attemptFinished(refOf(doc), { outcome: 'failed', errorType: failed.error.type, failer: failed.failer });
  }

  /**
   * What an open IE stores changed (new bundles, an edit): the quota charges its new size at once
   * (idempotent), over the limit if need be, since the data is kept already.
   */
  async function chargeStoredSize(ieId: string): Promise<IncompleteExecutionDocument | null> {
    const doc = await ies.get(ieId);
    if (doc && !doc.deleted && !doc.resolved) await store.quota.resize(doc.orgId, ieId, doc.size);
    return doc;
  }

  /** Resolving or deleting an IE releases its share of the quota (idempotent). */
  async function releaseQuota(ieId: string): Promise<IncompleteExecutionDocument | null> {
    const doc = await ies.get(ieId);
    if (doc) await store.quota.release(doc.orgId, ieId);
    return doc;
  }

  async function resolveIncompleteExecution(ieId: string): Promise<void> {
    await ies.markResolved(ieId);
    const doc = await releaseQuota(ieId);
    if (doc) events.attemptFinished(refOf(doc), { outcome: 'resolved' });
  }

  /** Records a change in the IE's log (idempotent per request: see IeChangeStore), then counts and logs it. */
  async function recordChange(doc: IncompleteExecutionDocument, stamp: IeChangeStamp, changes: IeChangeDiff) {
    const { key, ...note } = stamp;
    await store.ieChanges.record(doc.orgId, key, { ieId: doc._id, ...note, changes });
    events.requestApplied(refOf(doc), { kind: stamp.kind, actor: stamp.actor });
  }

  /** A request that changes no stored data (a retry, a resolve without edits), as its workflow saw it. */
  async function recordIncompleteExecutionChange(input: {
    orgId: number;
    ieId: string;
    stamp: IeChangeStamp;
    changes: IeChangeDiff;
  }): Promise<void> {
    const doc = await ies.get(input.ieId);
    if (doc) await recordChange(doc, input.stamp, input.changes);
    else {
      // Purged meanwhile (a replay long after): the entry is kept all the same.
      const { key, ...note } = input.stamp;
      await store.ieChanges.record(input.orgId, key, { ieId: input.ieId, ...note, changes: input.changes });
    }
  }

  /** The change log first (what is removed, as summaries), then the tombstone. */
  async function deleteIncompleteExecution(ieId: string, stamp?: IeChangeStamp): Promise<void> {
    if (stamp) {
      const doc = await ies.get(ieId);
      if (doc) await recordChange(doc, stamp, deletionDiff(doc));
    }
    await ies.markDeleted(ieId);
    await releaseQuota(ieId);
  }

  async function recordRejection(ieId: string, rejection: { requestId?: string; request: string; reason: string }) {
    await ies.recordRejection(ieId, rejection);
  }

  /**
   * Validates a patch against the module registry (the workflow sandbox cannot) and stores it.
   * Bundles are merged per module id into the context stored now (the IE's workflow applies one
   * request at a time, so nothing changes it meanwhile); a bundle over the inline threshold is
   * kept by reference. The change log entry is written first: a retry after a crash finds it and
   * applies the same merge again. Answers the reason instead of throwing, so the workflow can
   * reject the request.
   */
  async function patchIncompleteExecution(
    ieId: string,
    patch: Pick<CheckedIncompleteExecutionRequest, 'blueprint' | 'failer' | 'bundles'>,
    stamp?: IeChangeStamp,
  ): Promise<{ ok: true; failer: number } | { ok: false; reason: string }> {
    const doc = await ies.get(ieId);
    if (!doc?.blueprint) return { ok: false, reason: 'the incomplete execution has no blueprint (deleted)' };
    const stored = JSON.parse(doc.blueprint) as Blueprint;
    let blueprint = stored;
    if (patch.blueprint) {
      const validation = validateBlueprint(patch.blueprint, deps.registry);
      if (!validation.ok) {
        return {
          ok: false,
          reason: `invalid blueprint: ${validation.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        };
      }
      blueprint = validation.blueprint;
    }
    const failer = patch.failer ?? doc.failer;
    // The failer may sit inside a router's route; the modules before it are its path's.
    const position = findModulePosition(blueprint.flow, failer);
    if (!position) return { ok: false, reason: `failer ${failer}: no module with that id in the blueprint` };
    // A Break on the first module stores an IE there; otherwise an attempt never starts at the trigger.
    if (position.before.length === 0 && failer !== doc.failer) {
      return { ok: false, reason: `failer ${failer}: an attempt cannot start at the trigger` };
    }
    const storedContext = doc.context ? (JSON.parse(doc.context) as BundleContext) : {};
    let context: BundleContext | undefined;
    if (patch.bundles) {
      const named = bundlesToMerge(patch.bundles, failer, position.before, doc.failer);
      if (!named.ok) return named;
      const merged = { ...storedContext, ...named.values };
      const ids = Object.keys(merged);
      const kept = await toBundleOrRefs(
        store.blobs,
        ids.map((id) => merged[id] as Record<string, unknown>),
      );
      context = Object.fromEntries(ids.map((id, i) => [id, kept[i] as BundleOrRef]));
    }
    if (stamp) {
      const bundles = context ? bundlesDiff(storedContext, context) : undefined;
      const blueprintChange = patch.blueprint ? blueprintDiff(stored, blueprint) : undefined;
      const changes: IeChangeDiff = {
        ...(bundles ? { bundles } : {}),
        ...(failer === doc.failer ? {} : { failer: { before: doc.failer, after: failer } }),
        ...(blueprintChange ? { blueprint: blueprintChange } : {}),
      };
      // A patch that changes nothing is not a change; a resolve is (it starts an attempt).
      if (Object.keys(changes).length > 0 || stamp.kind === 'resolve') {
        await recordChange(doc, stamp, changes);
      }
    }
    await ies.patch(ieId, {
      ...(patch.blueprint ? { blueprint } : {}),
      ...(patch.failer === undefined ? {} : { failer }),
      ...(context ? { context } : {}),
    });
    await chargeStoredSize(ieId);
    return { ok: true, failer };
  }

  return {
    parkIncompleteExecution,
    prepareAttempt,
    syncIncompleteExecution,
    recordAttemptFailure,
    resolveIncompleteExecution,
    deleteIncompleteExecution,
    recordRejection,
    patchIncompleteExecution,
    recordIncompleteExecutionChange,
  };
}
