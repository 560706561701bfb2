/**
 * The `incompleteExecution` workflow's contract (DESIGN.md §4–§5): its input, its state as the
 * `state` query shows it, and the requests it takes as signals and updates.
 */
import type { SearchAttributePair, SearchAttributeUpdatePair } from '@temporalio/common';
import type { z } from 'zod';
import type { ErrorCategory } from './errors';
import {
  ImexAttempts,
  ImexErrorType,
  ImexFailer,
  ImexNextRetryAt,
  ImexOrgId,
  ImexScenarioId,
  ImexStatus,
} from './search-attributes';
import type { IeStatus } from './statuses';
import type { deleteRequestSchema, patchRequestSchema, retryRequestSchema } from './schemas/incomplete-execution';

export interface IncompleteExecutionState {
  ieId: string;
  orgId: number;
  scenarioId: number;
  scenarioName: string;
  executionId: string;
  status: IeStatus;
  retry: boolean;
  attempts: number;
  failer: number;
  error: { type: ErrorCategory; message: string };
  /** ISO time of the next automatic attempt, when one is scheduled. */
  nextRetryAt: string | null;
  /**
   * An attempt is requested and waits for the scenario's coordinator (at most 3 attempts at once,
   * none while a run is in progress). The status stays `pending` meanwhile: the IE can still be
   * patched (the attempt uses the patch) or deleted (the request is withdrawn).
   */
  waitingForSlot?: boolean;
  created: string;
  resolved: boolean;
  deleted: boolean;
  /** The last request that could not be honoured. */
  lastRejection?: { requestId?: string; request: string; reason: string };
}

/** How an IE's workflow is found in the Web UI, from its state; on update a null next retry clears it. */
export function incompleteExecutionSearchAttributes(state: IncompleteExecutionState): SearchAttributeUpdatePair[] {
  return [
    { key: ImexOrgId, value: String(state.orgId) },
    { key: ImexScenarioId, value: String(state.scenarioId) },
    { key: ImexStatus, value: state.status },
    { key: ImexErrorType, value: state.error.type },
    { key: ImexFailer, value: state.failer },
    { key: ImexAttempts, value: state.attempts },
    { key: ImexNextRetryAt, value: state.nextRetryAt ? new Date(state.nextRetryAt) : null },
  ];
}

/** The same at a workflow's start, which takes only the attributes that have a value. */
export function incompleteExecutionStartSearchAttributes(state: IncompleteExecutionState): SearchAttributePair[] {
  return incompleteExecutionSearchAttributes(state).filter((pair) => pair.value !== null) as SearchAttributePair[];
}

/** The part of an IE's state its MongoDB document mirrors: what the workflow writes through. */
export function incompleteExecutionWriteThrough(state: IncompleteExecutionState) {
  return {
    status: state.status,
    retry: state.retry,
    attempts: state.attempts,
    nextRetryAt: state.nextRetryAt ? new Date(state.nextRetryAt) : null,
    failer: state.failer,
    error: state.error,
    // Only once an attempt has waited: the document of an IE that never did stays as parked.
    ...(state.waitingForSlot === undefined ? {} : { waitingForSlot: state.waitingForSlot }),
  };
}

export interface IncompleteExecutionInput {
  state: IncompleteExecutionState;
  /** Delays of the auto-retry schedule, in ms (Make's by default). */
  schedule: number[];
  /** Request ids already answered, carried across continue-as-new. */
  seenRequestIds?: [string, RequestVerdict][];
  /** Set when continuing as new while an automatic attempt was due. */
  attemptDue?: boolean;
  /** The module the due attempt starts at, when a retry asked for one (not the failed module). */
  attemptFrom?: number;
  /** History events before continuing as new (default 2,000; tests use less). */
  historyLimit?: number;
}

export type RequestVerdict = { accepted: true } | { accepted: false; reason: string };

// The requests' zod schemas (the API's) are schemas/incomplete-execution.ts; the workflow checks
// them with incomplete-execution-requests.ts, which gives the same verdicts without zod.
export type RetryRequest = z.input<typeof retryRequestSchema>;
export type DeleteRequest = z.input<typeof deleteRequestSchema>;
export type PatchRequest = z.input<typeof patchRequestSchema>;
export type ResolveRequest = PatchRequest;
export type ParsedPatchRequest = z.output<typeof patchRequestSchema>;
