/**
 * The `incompleteExecution` workflow's contract (DESIGN.md §4–§5): its input, its state as the
 * `state` query shows it, and the requests it takes as signals and updates.
 */
import type { SearchAttributePair, SearchAttributeUpdatePair } from '@temporalio/common';
import { z } from 'zod';
import { blueprintSchema } from './blueprint';
import { ieChangeActorSchema, ieChangeReasonSchema } from './ie-changes';
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
  /** History events before continuing as new (default 2,000; tests use less). */
  historyLimit?: number;
}

export type RequestVerdict = { accepted: true } | { accepted: false; reason: string };

const requestId = z.string().min(1).max(200).optional();

/**
 * A bundle a module could have output: a JSON object. Anything else (an array, a string, null …)
 * is refused rather than dropped; `null` does not remove a bundle either: every module before
 * the failed one produced one, and an attempt maps from them all.
 */
export const bundleValueSchema = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must be a JSON object: the bundle a module outputs (null, arrays and other values are refused)',
);

/**
 * Bundles in the shape of `GET /dlqs/{id}/bundle`: `{ "<moduleId>": { value } }`. A PATCH changes
 * only the modules it names. The failed module's `{ error }` entry may come back as `GET` shows it
 * (it is not editable and is left as it is).
 */
export const bundlesPatchSchema = z.record(
  z.string().regex(/^\d+$/, 'bundle keys are module ids'),
  z.looseObject({ value: bundleValueSchema.optional(), error: z.unknown().optional() }).superRefine((entry, ctx) => {
    if (entry.value === undefined && entry.error === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'required: the bundle the module output' });
    }
  }),
);
const requestNote = {
  requestId,
  /** Who asked (set by the API); absent when the request came through Temporal directly. */
  actor: ieChangeActorSchema.optional(),
  /** Why, in the person's words: kept in the IE's change log. */
  reason: ieChangeReasonSchema.optional(),
};

/** `blueprint` as Make's API sends it (JSON text) or as an object. */
const blueprintInput = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}, blueprintSchema);

export const retryRequestSchema = z.strictObject(requestNote).prefault({});
export const deleteRequestSchema = retryRequestSchema;
export const patchRequestSchema = z.strictObject({
  ...requestNote,
  blueprint: blueprintInput.optional(),
  failer: z.int().positive().optional(),
  bundles: bundlesPatchSchema.optional(),
});
export const resolveRequestSchema = patchRequestSchema;

export type RetryRequest = z.input<typeof retryRequestSchema>;
export type DeleteRequest = RetryRequest;
export type PatchRequest = z.input<typeof patchRequestSchema>;
export type ResolveRequest = PatchRequest;
export type ParsedPatchRequest = z.output<typeof patchRequestSchema>;
