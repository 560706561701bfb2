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
import { startIncompleteExecutionWorkflow } from './start-incomplete-execution';
import type { Client } from '@temporalio/client';
import {
  findModulePosition,
  ieIdSource,
  validateBlueprint,
  type Blueprint,
  type BundleContext,
  type FailedBundle,
  type ParkedBundle,
  type ParsedPatchRequest,
  type RetrySchedule,
} from '../src/domain';
import type { ModuleRegistry } from '../src/modules';
import {
  closedAs,
  DEFAULT_IE_QUOTA_BYTES,
  type ClosedAs,
  type IncompleteExecutionChange,
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
}

export type ParkOutput = { parked: ParkedBundle; stopRun?: undefined } | { stopRun: string; parked?: undefined };

export interface AttemptInput {
  blueprint: Blueprint;
  context: BundleContext;
  failer: number;
  bundleIndex: number;
  executionId: string;
}

export interface IncompleteExecutionDeps {
  store: Store;
  registry: ModuleRegistry;
  client: Client;
  taskQueue: string;
  schedule: RetrySchedule;
}

export function ieIdFor(executionId: string, failer: number, bundleIndex: number): string {
  return crypto
    .createHash('sha256')
    .update(ieIdSource(executionId, failer, bundleIndex))
    .digest('hex')
    .slice(0, 32);
}

/** Make's `/bundle` keys → the context an attempt maps from (the failer's `error` entry is not input). */
export function contextFromMakeBundles(bundles: Record<string, { value?: unknown }>): BundleContext {
  const context: BundleContext = {};
  for (const [moduleId, entry] of Object.entries(bundles)) {
    if (entry.value !== undefined && entry.value !== null && typeof entry.value === 'object') {
      context[moduleId] = entry.value as Record<string, unknown>;
    }
  }
  return context;
}

export function createIncompleteExecutionActivities(deps: IncompleteExecutionDeps) {
  const { store, client } = deps;
  const ies = store.incompleteExecutions;

  async function parkIncompleteExecution(input: ParkInput): Promise<ParkOutput> {
    const { failed } = input;
    const ieId = ieIdFor(input.executionId, failed.failer, failed.bundleIndex);
    const retry = failed.outcome === 'park-auto-retry';
    const candidate = ies.build({
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
    });

    const stored = { parked: { failer: failed.failer, bundleIndex: failed.bundleIndex, ieId, error: failed.error } };
    // A closed IE stays closed: a park replayed after its IE was deleted or resolved (a crash in
    // that window, a reset of the run) finds its document and charges, writes and starts nothing.
    if (closedAs(await ies.get(ieId))) return stored;

    // The organization's storage quota first: nothing is written that would exceed it. The
    // reservation is idempotent per IE, so a replay after a crash does not charge twice.
    const org = await store.organizations.get(input.orgId);
    const limit = org?.ieQuotaBytes ?? DEFAULT_IE_QUOTA_BYTES;
    const reservation = await store.quota.reserve(input.orgId, ieId, candidate.size, limit);
    if (!reservation.ok) {
      const full =
        `the organization's incomplete-executions storage is full (${reservation.used} of ${reservation.limit} bytes used; ` +
        `this incomplete execution needs ${candidate.size})`;
      const settings = input.blueprint.metadata.scenario;
      if (settings.dataloss) {
        // Make's "enable data loss": the bundle is dropped, the run goes on with a warning.
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
      return { stopRun: `${failed.error.type} at module ${failed.failer} could not be stored: ${full}` };
    }

    const doc = await ies.insert(candidate);
    if (closedAs(doc)) {
      // Closed between the look above and the reservation: what it charged again goes back.
      await store.quota.release(input.orgId, ieId);
      return stored;
    }
    // The first start only: once `ie-<ieId>` has run, it owns the IE (maintenance restarts a lost one).
    await startIncompleteExecutionWorkflow(client, {
      taskQueue: deps.taskQueue,
      doc,
      defaultSchedule: deps.schedule,
      firstStart: true,
    });
    return stored;
  }

  async function prepareAttempt(ieId: string): Promise<AttemptInput> {
    const doc = await ies.get(ieId);
    if (!doc?.blueprint || doc.context === undefined) {
      // Retrying cannot bring the data back: let the IE wait for a person instead.
      throw ApplicationFailure.nonRetryable(
        `incomplete execution ${ieId} has no stored blueprint or bundles`,
        'MissingData',
      );
    }
    return {
      blueprint: JSON.parse(doc.blueprint) as Blueprint,
      context: JSON.parse(doc.context) as BundleContext,
      failer: doc.failer,
      bundleIndex: doc.bundleIndex,
      executionId: doc.executionId,
    };
  }

  /** Writes the workflow's state through; answers how the IE is closed when it is (nothing is written then). */
  async function syncIncompleteExecution(
    ieId: string,
    change: IncompleteExecutionChange,
  ): Promise<{ closed?: ClosedAs }> {
    return ies.applyChange(ieId, {
      ...change,
      ...(change.nextRetryAt === undefined ? {} : { nextRetryAt: change.nextRetryAt && new Date(change.nextRetryAt) }),
    });
  }

  async function recordAttemptFailure(ieId: string, failed: FailedBundle): Promise<void> {
    await ies.moveFailer(ieId, failed.failer, failed.bundleIndex, failed.context, failed.error);
  }

  /** Resolving or deleting an IE releases its share of the quota (idempotent). */
  async function releaseQuota(ieId: string): Promise<void> {
    const doc = await ies.get(ieId);
    if (doc) await store.quota.release(doc.orgId, ieId);
  }

  async function resolveIncompleteExecution(ieId: string): Promise<void> {
    await ies.markResolved(ieId);
    await releaseQuota(ieId);
  }

  async function deleteIncompleteExecution(ieId: string): Promise<void> {
    await ies.markDeleted(ieId);
    await releaseQuota(ieId);
  }

  async function recordRejection(ieId: string, rejection: { requestId?: string; request: string; reason: string }) {
    await ies.recordRejection(ieId, rejection);
  }

  /**
   * Validates a patch against the module registry (the workflow sandbox cannot) and stores it.
   * Answers the reason instead of throwing, so the workflow can reject the request.
   */
  async function patchIncompleteExecution(
    ieId: string,
    patch: Omit<ParsedPatchRequest, 'requestId'>,
  ): Promise<{ ok: true; failer: number } | { ok: false; reason: string }> {
    const doc = await ies.get(ieId);
    if (!doc?.blueprint) return { ok: false, reason: 'the incomplete execution has no blueprint (deleted)' };
    let blueprint = JSON.parse(doc.blueprint) as Blueprint;
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
    const context = patch.bundles ? contextFromMakeBundles(patch.bundles) : undefined;
    if (context) {
      const earlier = new Set(position.before.map((m) => String(m.id)));
      const stray = Object.keys(context).filter((id) => !earlier.has(id));
      if (stray.length) {
        return { ok: false, reason: `bundles: module ${stray.join(', ')} is not before the failer ${failer}` };
      }
    }
    await ies.patch(ieId, {
      ...(patch.blueprint ? { blueprint } : {}),
      ...(patch.failer === undefined ? {} : { failer }),
      ...(context ? { context } : {}),
    });
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
  };
}
