/**
 * The typed imex client: starting scenario runs and every request on incomplete executions.
 * The API and the CLI use it; it only translates to Temporal calls and store reads.
 */
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  BULK_OPERATION_PRIORITY,
  coordinatorWorkflowId,
  hasWebhookTrigger,
  respondsToWebhook,
  ieWorkflowId,
  ImexOrgId,
  ImexScenarioId,
  runWorkflowId,
  scenarioSettingsSchema,
  type BulkQueryControl,
  type BulkQueryState,
  type CoordinatorView,
  type IeQuery,
  type IncompleteExecutionState,
  type PatchRequest,
  type RetryRequest,
  type RunTrigger,
  type ScenarioRunResult,
} from '../domain';
import type { Store, WebhookResponse } from '../store';
import { traceparentField } from '../observability/trace-context';
import { INLINE_BUNDLE_MAX_BYTES, toBundleOrRefs } from '../../activities/bundle-refs';
import { deletionDiff } from '../../activities/ie-change-diff';
import {
  requestMessages,
  stateQuery,
  type IncompleteExecutionRequestKind,
} from '../../workflows/incomplete-execution-messages';
import type { BulkOperationRequest } from '../../workflows/bulk-operation';
import type { BulkQueryOperationRequest } from '../../workflows/bulk-query-operation';
import { bulkQueryControlUpdate } from '../../workflows/bulk-query-operation-messages';
import {
  coordinatorStateQuery,
  runRequestedSignal,
  scenarioChangedSignal,
} from '../../workflows/scenario-coordinator-messages';
import { signalCoordinatorIfRunning, signalWithStartCoordinator, syncScenarioSchedule } from './coordinator';
import { CoordinatorWake } from './coordinator-wake';
import { startDirectRun } from './direct-runs';
import { createWebhookDispatch } from './webhook-dispatch';

/** Payloads waiting in one scenario's webhook queue before its hook answers 429 (Make's maximum). */
export const DEFAULT_WEBHOOK_QUEUE_CAP = 10_000;

/** What `POST /hooks/<hookId>` becomes. */
export type WebhookAcceptance =
  | {
      status: 'accepted';
      scenarioId: number;
      seq: number;
      executionId: string;
      repeated?: boolean;
      /** The scenario has a `gateway:WebhookRespond`: its run may set the answer (awaitWebhookResponse). */
      responds?: boolean;
    }
  | { status: 'not-found' }
  | { status: 'inactive'; scenarioId: number; reason: string }
  | { status: 'queue-full'; scenarioId: number; queued: number; cap: number }
  /** Another request with the same idempotency key is still being accepted. */
  | { status: 'key-in-flight' };

/** How long a request waits for another with the same idempotency key before answering 409. */
const IDEMPOTENT_WAIT_MS = 5_000;

export class ScenarioNotFoundError extends Error {
  constructor(readonly scenarioId: number) {
    super(`scenario ${scenarioId} not found`);
    this.name = 'ScenarioNotFoundError';
  }
}

export class ScenarioNotRunnableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ScenarioNotRunnableError';
  }
}

/** The incomplete execution refused the request; nothing changed. */
export class RequestRejectedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RequestRejectedError';
  }
}

export type IncompleteExecutionRequest = IncompleteExecutionRequestKind;

/** The `bulkQueryOperation` workflow of a bulk retry or delete by query. */
export function bulkQueryOperationWorkflowId(operationId: string): string {
  return `bulkq-${operationId}`;
}

/** The `bulkOperation` workflow of a bulk retry or delete. */
export function bulkOperationWorkflowId(operationId: string): string {
  return `bulk-${operationId}`;
}

export class ImexClient {
  readonly client: Client;
  readonly store: Store;
  readonly taskQueue: string;
  /** The deployment's webhook queue cap per scenario (a scenario may set its own). */
  readonly webhookQueueCap: number;
  /**
   * Delivers queued webhooks after they were accepted (runs started directly, or a sequential
   * scenario's coordinator woken): one delivery in flight per scenario, coalesced.
   */
  readonly coordinatorWake: CoordinatorWake;
  private readonly scenarioReads = new Map<string, ReturnType<Store['scenarios']['get']>>();

  constructor(options: {
    client: Client;
    store: Store;
    taskQueue: string;
    webhookQueueCap?: number;
    /** The deployment's bound on parallel runs of one scenario (webhook payloads beyond it wait). */
    maxConcurrentRuns?: number;
  }) {
    this.client = options.client;
    this.store = options.store;
    this.taskQueue = options.taskQueue;
    this.webhookQueueCap = options.webhookQueueCap ?? DEFAULT_WEBHOOK_QUEUE_CAP;
    const dispatch = createWebhookDispatch({
      client: this.client,
      store: this.store,
      taskQueue: this.taskQueue,
      ...(options.maxConcurrentRuns ? { maxConcurrentRuns: options.maxConcurrentRuns } : {}),
    });
    this.coordinatorWake = new CoordinatorWake(async (address) => {
      await dispatch.deliverWebhooks(address);
    });
  }

  /**
   * Asks for a run of the scenario's current blueprint. A scenario that is not sequential has the
   * run started at once as `run-<executionId>`, without the coordinator (it waits, inside the run,
   * for attempts that hold a slot); a scheduled run's end counts consecutive errors in the store.
   * A sequential scenario's runs go through its coordinator (`coordinator-<taskQueue>-<scenarioId>`),
   * which runs them one at a time. A run on demand does not wait on open incomplete executions:
   * sequential processing holds back scheduled and webhook runs only.
   */
  async startScenarioRun(input: {
    orgId: number;
    scenarioId: number;
    data?: unknown;
    trigger?: Exclude<RunTrigger, 'attempt'>;
    /** Make's `callbackUrl`: the run POSTs its outcome there when it ends. */
    callbackUrl?: string;
  }): Promise<{ executionId: string; workflowId: string }> {
    const scenario = await this.store.scenarios.get(input.orgId, input.scenarioId);
    if (!scenario) throw new ScenarioNotFoundError(input.scenarioId);
    if (!scenario.isActive) {
      throw new ScenarioNotRunnableError(
        `scenario ${scenario.id} is inactive${scenario.deactivationReason ? `: ${scenario.deactivationReason}` : ''}`,
      );
    }
    const executionId = crypto.randomUUID().replace(/-/g, '');
    // A webhook payload given to the client directly runs as a run on demand would.
    const trigger = input.trigger === 'schedule' ? 'schedule' : 'manual';
    let data = input.data;
    // Large input data travels by reference, like large bundles.
    if (data !== undefined && Buffer.byteLength(JSON.stringify(data)) > INLINE_BUNDLE_MAX_BYTES) {
      data = await this.store.blobs.put(data);
    }
    const settings = scenarioSettingsSchema.parse(scenario.blueprint.metadata?.scenario ?? {});
    if (!settings.sequential) {
      // Make's rules need no coordinator here: nothing waits on open IEs (only a sequential
      // scenario does), attempts are kept out by the run's store lease (activities/scenario-leases.ts),
      // and a scheduled run's end counts its outcome in the store (activities/consecutive-errors.ts).
      await startDirectRun(this.client, this.taskQueue, {
        orgId: input.orgId,
        scenario,
        executionId,
        trigger,
        ...(data === undefined ? {} : { data }),
        ...(input.callbackUrl ? { callbackUrl: input.callbackUrl } : {}),
      });
      return { executionId, workflowId: runWorkflowId(executionId) };
    }
    await signalWithStartCoordinator(
      this.client,
      this.taskQueue,
      { orgId: input.orgId, scenarioId: scenario.id },
      runRequestedSignal,
      {
        executionId,
        trigger,
        ...(data === undefined ? {} : { data }),
        ...(input.callbackUrl ? { callbackUrl: input.callbackUrl } : {}),
        receivedAt: new Date().toISOString(),
      },
    );
    return { executionId, workflowId: runWorkflowId(executionId) };
  }

  /**
   * `POST /hooks/<hookId>`: queues the payload durably for the hook's scenario and answers once it
   * is in MongoDB; it is delivered after, in the background (coalesced: one delivery for a burst):
   * its run started directly, or a sequential scenario's coordinator woken
   * (src/temporal/webhook-dispatch.ts). An inactive scenario, or a full queue, accepts nothing. With an
   * `idempotencyKey`, a resend of an accepted key answers the first acceptance and queues nothing.
   */
  async acceptWebhook(
    hookId: string,
    payload: unknown,
    options: { idempotencyKey?: string } = {},
  ): Promise<WebhookAcceptance> {
    const hook = await this.store.webhooks.getHook(hookId);
    if (!hook) return { status: 'not-found' };
    const key = options.idempotencyKey;
    if (key === undefined) return this.queueWebhook(hookId, hook.orgId, hook.scenarioId, payload);
    for (const started = Date.now(); ;) {
      const claim = await this.store.webhookKeys.claim(hookId, key, hook.scenarioId);
      if (claim.state === 'accepted') {
        return {
          status: 'accepted',
          scenarioId: claim.scenarioId,
          seq: claim.seq,
          executionId: claim.executionId,
          repeated: true,
        };
      }
      if (claim.state === 'claimed') {
        let result: WebhookAcceptance | undefined;
        try {
          result = await this.queueWebhook(hookId, hook.orgId, hook.scenarioId, payload, claim.executionId);
        } finally {
          if (result?.status === 'accepted') await this.store.webhookKeys.complete(hookId, key, result.seq);
          // Refused, or failed before it was durable: the key is free for the resend.
          else await this.store.webhookKeys.release(hookId, key, claim.claimedAt).catch(() => undefined);
        }
        return result;
      }
      // Another request with this key is being accepted: its verdict is ours.
      if (Date.now() - started > IDEMPOTENT_WAIT_MS) return { status: 'key-in-flight' };
      await sleep(25);
    }
  }

  /**
   * The answer a webhook run set with `gateway:WebhookRespond`, waited for up to `waitMs` (Make: 5
   * minutes); undefined, for Make's default "Accepted", when the run ended without one or at the bound.
   */
  async awaitWebhookResponse(
    executionId: string,
    options: { waitMs: number; pollMs?: number },
  ): Promise<WebhookResponse | undefined> {
    const started = Date.now();
    const handle = this.client.workflow.getHandle(runWorkflowId(executionId));
    for (;;) {
      const response = await this.store.webhookResponses.get(executionId);
      if (response) return response;
      if (Date.now() - started >= options.waitMs) return undefined;
      let ended = false;
      try {
        ended = (await handle.describe()).status.name !== 'RUNNING';
      } catch (err) {
        // Not started yet: its payload is on its way from the queue.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      // The run ended: one last look, since its response was written before it ended.
      if (ended) return this.store.webhookResponses.get(executionId);
      await sleep(options.pollMs ?? 100);
    }
  }

  private async queueWebhook(
    hookId: string,
    orgId: number,
    scenarioId: number,
    payload: unknown,
    executionId?: string,
  ): Promise<WebhookAcceptance> {
    const scenario = await this.readScenarioShared(orgId, scenarioId);
    if (!scenario || scenario.hookId !== hookId || !hasWebhookTrigger(scenario.blueprint))
      return { status: 'not-found' };
    if (!scenario.isActive) {
      return {
        status: 'inactive',
        scenarioId: scenario.id,
        reason: scenario.deactivationReason
          ? `the scenario is inactive: it was deactivated because ${scenario.deactivationReason}`
          : 'the scenario is inactive: start it to accept webhooks',
      };
    }
    const settings = scenarioSettingsSchema.parse(scenario.blueprint.metadata?.scenario ?? {});
    const cap = settings.imex?.webhookQueueCap ?? this.webhookQueueCap;
    let data: string | undefined;
    if (payload !== undefined) {
      const text = JSON.stringify(payload);
      data =
        Buffer.byteLength(text) > INLINE_BUNDLE_MAX_BYTES ? JSON.stringify(await this.store.blobs.put(payload)) : text;
    }
    const queued = await this.store.webhooks.enqueue({
      orgId: scenario.orgId,
      scenarioId: scenario.id,
      cap,
      ...(data === undefined ? {} : { data }),
      ...(executionId === undefined ? {} : { executionId }),
      ...traceparentField(),
    });
    if (!queued.accepted) return { status: 'queue-full', scenarioId: scenario.id, queued: queued.queued, cap };
    this.coordinatorWake.wake({ orgId: scenario.orgId, scenarioId: scenario.id }, queued.seq);
    return {
      status: 'accepted',
      scenarioId: scenario.id,
      seq: queued.seq,
      executionId: queued.executionId,
      ...((await this.mayRespondAtOnce(scenario, settings.sequential)) ? { responds: true } : {}),
    };
  }

  /**
   * Whether a webhook's caller waits for the scenario's own answer: it has a `gateway:WebhookRespond`
   * and the payload's run starts now. A sequential scenario with an open IE holds its payloads back
   * (Make §1.3): their callers are answered "Accepted" at once.
   */
  private async mayRespondAtOnce(
    scenario: { orgId: number; id: number; blueprint: { flow: Parameters<typeof respondsToWebhook>[0] } },
    sequential: boolean,
  ): Promise<boolean> {
    if (!respondsToWebhook(scenario.blueprint.flow)) return false;
    return !sequential || (await this.store.incompleteExecutions.countOpen(scenario.orgId, scenario.id)) === 0;
  }

  /**
   * The scenario as of now, one read shared by the requests that ask at the same time (a burst of
   * webhooks reads it once, not once per payload).
   */
  private readScenarioShared(orgId: number, scenarioId: number) {
    const key = `${orgId}:${scenarioId}`;
    let read = this.scenarioReads.get(key);
    if (!read) {
      read = this.store.scenarios.get(orgId, scenarioId).finally(() => this.scenarioReads.delete(key));
      this.scenarioReads.set(key, read);
    }
    return read;
  }

  /**
   * After a scenario changed (activated, stopped, scheduling, blueprint): its Temporal Schedule
   * is created, updated, paused or deleted to match, its coordinator (if it has one) looks again,
   * and queued payloads of a reactivated scenario are delivered.
   */
  async syncScenarioTriggers(orgId: number, scenarioId: number): Promise<void> {
    const scenario = await this.store.scenarios.get(orgId, scenarioId);
    if (!scenario) return;
    await syncScenarioSchedule(this.client, this.taskQueue, scenario);
    await signalCoordinatorIfRunning(this.client, this.taskQueue, scenarioId, scenarioChangedSignal, {
      reason: 'scenario changed',
    });
    // Payloads that waited while it was inactive are delivered now.
    if (scenario.isActive) this.coordinatorWake.wake({ orgId, scenarioId });
  }

  /** The coordinator's view of the scenario (null when it has none running). */
  async coordinatorState(scenarioId: number): Promise<CoordinatorView | null> {
    try {
      return await this.client.workflow
        .getHandle(coordinatorWorkflowId(this.taskQueue, scenarioId))
        .query(coordinatorStateQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  /** Waits for a run and returns its result, whatever its status (an error run fails in Temporal). */
  async scenarioRunResult(executionId: string): Promise<ScenarioRunResult> {
    const handle = this.client.workflow.getHandle(runWorkflowId(executionId));
    // The coordinator starts the run: until it has (two workflow tasks, 50–100 ms when it is idle)
    // the workflow does not exist yet. Look often from then on, and back off behind a busy one.
    for (let tries = 0; ; tries++) {
      try {
        return (await handle.result()) as ScenarioRunResult;
      } catch (err) {
        if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
          const [result] = (err.cause.details ?? []) as [ScenarioRunResult | undefined];
          if (result) return result;
        }
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      await sleep(tries === 0 ? 50 : tries < 40 ? 20 : Math.min(1000, 20 * 2 ** Math.min(tries - 39, 6)));
    }
  }

  incompleteExecutionHandle(ieId: string): WorkflowHandle {
    return this.client.workflow.getHandle(ieWorkflowId(ieId));
  }

  /** The IE's live state from its workflow (null once the workflow has ended). */
  async incompleteExecutionState(ieId: string): Promise<IncompleteExecutionState | null> {
    try {
      return await this.incompleteExecutionHandle(ieId).query(stateQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  /**
   * Sends a request as an Update: resolves with the IE's state once accepted, or throws
   * {@link RequestRejectedError} with the reason (nothing changed).
   */
  async requestIncompleteExecution(
    ieId: string,
    kind: IncompleteExecutionRequest,
    request: RetryRequest | PatchRequest = {},
  ): Promise<IncompleteExecutionState> {
    const staged = await this.stageBundles(request);
    try {
      return await this.incompleteExecutionHandle(ieId).executeUpdate(
        requestMessages[kind].update as typeof requestMessages.patch.update,
        {
          args: [staged],
        },
      );
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new RequestRejectedError(err.cause?.message ?? err.message);
      }
      if (err instanceof WorkflowNotFoundError || isWorkflowCompleted(err)) {
        throw new RequestRejectedError(await this.endedReason(ieId));
      }
      throw err;
    }
  }

  /** Sends a request as a Signal: fire-and-forget; a refusal is recorded on the IE. */
  async signalIncompleteExecution(
    ieId: string,
    kind: IncompleteExecutionRequest,
    request: RetryRequest | PatchRequest = {},
  ): Promise<void> {
    await this.incompleteExecutionHandle(ieId).signal(
      requestMessages[kind].signal as typeof requestMessages.patch.signal,
      await this.stageBundles(request),
    );
  }

  /**
   * Small payloads (DESIGN.md §8): the bundles of a patch that are too large to travel inline are
   * stored as blobs first (content-addressed, so sending again stores nothing new) and the request
   * carries their references; the IE's activity merges them. A refused request leaves an
   * unreferenced blob, which the blob collector removes.
   */
  private async stageBundles<R extends RetryRequest | PatchRequest>(request: R): Promise<R> {
    const bundles = (request as PatchRequest).bundles;
    if (!bundles) return request;
    const entries = Object.entries(bundles).filter(
      ([, entry]) => typeof entry?.value === 'object' && entry.value !== null && !Array.isArray(entry.value),
    );
    const kept = await toBundleOrRefs(
      this.store.blobs,
      entries.map(([, entry]) => entry.value as Record<string, unknown>),
    );
    const staged = { ...bundles };
    entries.forEach(([moduleId, entry], i) => {
      staged[moduleId] = { ...entry, value: kept[i] };
    });
    return { ...request, bundles: staged };
  }

  /**
   * Deletes an IE (Make: bundles and blueprint go, the quota is released, a tombstone stays).
   * An open IE is deleted by its workflow's `delete` update (refused while an attempt runs); a
   * resolved one has no workflow any more, so it is deleted in the store. Throws
   * {@link RequestRejectedError} with the reason when it cannot be deleted.
   */
  async deleteIncompleteExecution(ieId: string, request: RetryRequest = {}): Promise<void> {
    const doc = await this.store.incompleteExecutions.get(ieId);
    if (!doc || doc.deleted) throw new RequestRejectedError('the incomplete execution is deleted');
    if (!doc.resolved) {
      try {
        await this.requestIncompleteExecution(ieId, 'delete', request);
        return;
      } catch (err) {
        // Resolved between the read and the update: delete it as a resolved one.
        const now = await this.store.incompleteExecutions.get(ieId);
        if (!(err instanceof RequestRejectedError) || !now?.resolved || now.deleted) throw err;
      }
    }
    // No workflow to log it: the change log entry is written here, before the tombstone.
    const current = (await this.store.incompleteExecutions.get(ieId)) ?? doc;
    const requestId = request.requestId ?? crypto.randomUUID();
    await this.store.ieChanges.record(doc.orgId, requestId, {
      ieId,
      kind: 'delete',
      at: new Date().toISOString(),
      actor: request.actor ?? { type: 'temporal', via: 'update', name: 'imex client' },
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
      changes: deletionDiff(current),
    });
    await this.store.incompleteExecutions.markDeleted(ieId);
    await this.store.quota.release(doc.orgId, ieId);
  }

  /** Starts a durable bulk retry or delete; its per-IE verdicts are written to the store as it goes. */
  async startBulkOperation(request: BulkOperationRequest): Promise<void> {
    await this.store.bulkOperations.create(request);
    await this.client.workflow.start('bulkOperation', {
      taskQueue: this.taskQueue,
      workflowId: bulkOperationWorkflowId(request.operationId),
      args: [{ request }],
      staticSummary: `Bulk ${request.kind} of incomplete executions of scenario #${request.scenarioId}`,
      typedSearchAttributes: [
        { key: ImexOrgId, value: String(request.orgId) },
        { key: ImexScenarioId, value: String(request.scenarioId) },
      ],
      // Below live runs and the IEs' own work (src/domain/task-priority.ts).
      priority: BULK_OPERATION_PRIORITY,
    });
  }

  /**
   * Starts a durable bulk retry or delete of the IEs a query matches (created no later than
   * `upTo`); its ledger and counters are in the store (`bulkQueries`).
   */
  async startBulkQueryOperation(
    request: BulkQueryOperationRequest & { query: IeQuery; upTo: Date; matched: number },
  ): Promise<void> {
    const { query, upTo, matched, ...workflowRequest } = request;
    await this.store.bulkQueries.create({ ...workflowRequest, query, upTo, matched });
    await this.client.workflow.start('bulkQueryOperation', {
      taskQueue: this.taskQueue,
      workflowId: bulkQueryOperationWorkflowId(request.operationId),
      args: [{ request: workflowRequest }],
      staticSummary: `Bulk ${request.action} by query of ${matched} incomplete executions`,
      typedSearchAttributes: [{ key: ImexOrgId, value: String(request.orgId) }],
      // Below live runs and the IEs' own work (src/domain/task-priority.ts).
      priority: BULK_OPERATION_PRIORITY,
    });
  }

  /** Pause, resume or cancel a bulk operation by query: the state after; `RequestRejectedError` when refused. */
  async controlBulkQueryOperation(operationId: string, control: BulkQueryControl): Promise<BulkQueryState> {
    try {
      return await this.client.workflow
        .getHandle(bulkQueryOperationWorkflowId(operationId))
        .executeUpdate(bulkQueryControlUpdate, { args: [control] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new RequestRejectedError(err.cause?.message ?? err.message);
      if (err instanceof WorkflowNotFoundError || isWorkflowCompleted(err)) {
        const state = (await this.store.bulkQueries.get(operationId))?.state ?? 'completed';
        throw new RequestRejectedError(`the operation is ${state}: it cannot ${control}`);
      }
      throw err;
    }
  }

  private async endedReason(ieId: string): Promise<string> {
    const doc = await this.store.incompleteExecutions.get(ieId);
    if (doc?.deleted) return 'the incomplete execution is deleted';
    if (doc?.resolved) return 'the incomplete execution is already resolved';
    return 'the incomplete execution is not waiting for requests';
  }
}

function isWorkflowCompleted(err: unknown): boolean {
  return err instanceof Error && /workflow execution already completed/i.test(err.message);
}
