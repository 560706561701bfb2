/**
 * The typed imex client: starting scenario runs and every request on incomplete executions.
 * The API and the CLI use it; it only translates to Temporal calls and store reads.
 */
import crypto from 'node:crypto';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  ieWorkflowId,
  ImexOrgId,
  ImexScenarioId,
  runWorkflowId,
  type IncompleteExecutionState,
  type PatchRequest,
  type RetryRequest,
  type RunTrigger,
  type ScenarioRunInput,
  type ScenarioRunResult,
} from '../domain';
import type { Store } from '../store';
import { INLINE_BUNDLE_MAX_BYTES } from '../../activities/bundle-refs';
import {
  deleteSignal,
  deleteUpdate,
  patchSignal,
  patchUpdate,
  resolveSignal,
  resolveUpdate,
  retrySignal,
  retryUpdate,
  stateQuery,
} from '../../workflows/incomplete-execution-messages';
import type { BulkOperationRequest } from '../../workflows/bulk-operation';

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

export type IncompleteExecutionRequest = 'retry' | 'resolve' | 'patch' | 'delete';

/** The `bulkOperation` workflow of a bulk retry or delete. */
export function bulkOperationWorkflowId(operationId: string): string {
  return `bulk-${operationId}`;
}

const updates = { retry: retryUpdate, resolve: resolveUpdate, patch: patchUpdate, delete: deleteUpdate };
const signals = { retry: retrySignal, resolve: resolveSignal, patch: patchSignal, delete: deleteSignal };

export class ImexClient {
  readonly client: Client;
  readonly store: Store;
  readonly taskQueue: string;

  constructor(options: { client: Client; store: Store; taskQueue: string }) {
    this.client = options.client;
    this.store = options.store;
    this.taskQueue = options.taskQueue;
  }

  /** Starts a run of the scenario's current blueprint. */
  async startScenarioRun(input: {
    orgId: number;
    scenarioId: number;
    data?: unknown;
    trigger?: Exclude<RunTrigger, 'attempt'>;
  }): Promise<{ executionId: string; workflowId: string }> {
    const scenario = await this.store.scenarios.get(input.orgId, input.scenarioId);
    if (!scenario) throw new ScenarioNotFoundError(input.scenarioId);
    if (!scenario.isActive) {
      throw new ScenarioNotRunnableError(
        `scenario ${scenario.id} is inactive${scenario.deactivationReason ? `: ${scenario.deactivationReason}` : ''}`,
      );
    }
    const executionId = crypto.randomUUID().replace(/-/g, '');
    const trigger = input.trigger ?? 'manual';
    let data = input.data;
    // Large input data travels by reference, like large bundles.
    if (data !== undefined && Buffer.byteLength(JSON.stringify(data)) > INLINE_BUNDLE_MAX_BYTES) {
      data = await this.store.blobs.put(data);
    }
    const runInput: ScenarioRunInput = {
      orgId: input.orgId,
      scenarioId: scenario.id,
      scenarioName: scenario.name,
      executionId,
      blueprint: scenario.blueprint,
      trigger,
      ...(data === undefined ? {} : { data }),
    };
    const workflowId = runWorkflowId(executionId);
    await this.client.workflow.start('scenarioRun', {
      taskQueue: this.taskQueue,
      workflowId,
      args: [runInput],
      staticSummary: `Scenario "${scenario.name}" (#${scenario.id}) · ${trigger} run`,
      typedSearchAttributes: [
        { key: ImexOrgId, value: String(input.orgId) },
        { key: ImexScenarioId, value: String(scenario.id) },
      ],
    });
    return { executionId, workflowId };
  }

  /** Waits for a run and returns its result, whatever its status (an error run fails in Temporal). */
  async scenarioRunResult(executionId: string): Promise<ScenarioRunResult> {
    const handle = this.client.workflow.getHandle(runWorkflowId(executionId));
    try {
      return (await handle.result()) as ScenarioRunResult;
    } catch (err) {
      if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
        const [result] = (err.cause.details ?? []) as [ScenarioRunResult | undefined];
        if (result) return result;
      }
      throw err;
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
    try {
      return await this.incompleteExecutionHandle(ieId).executeUpdate(updates[kind] as typeof patchUpdate, {
        args: [request],
      });
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
    await this.incompleteExecutionHandle(ieId).signal(signals[kind] as typeof patchSignal, request);
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
    });
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
