/**
 * Messages of the `incompleteExecution` workflow, defined once and imported by the workflow and
 * its callers (API, CLI, tests). Signals are fire-and-forget (the Temporal CLI and Web UI can send
 * them): a request that cannot be honoured is recorded as rejected, with the reason. Updates of
 * the same names answer with a verdict: rejected with the reason (nothing changes), or accepted
 * with the IE's state after the request.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  DeleteRequest,
  IncompleteExecutionState,
  PatchRequest,
  ResolveRequest,
  RetryRequest,
} from '../src/domain/plain';

export const retrySignal = defineSignal<[RetryRequest]>('retry');
export const resolveSignal = defineSignal<[ResolveRequest]>('resolve');
export const patchSignal = defineSignal<[PatchRequest]>('patch');
export const deleteSignal = defineSignal<[DeleteRequest]>('delete');

export const retryUpdate = defineUpdate<IncompleteExecutionState, [RetryRequest]>('retry');
export const resolveUpdate = defineUpdate<IncompleteExecutionState, [ResolveRequest]>('resolve');
export const patchUpdate = defineUpdate<IncompleteExecutionState, [PatchRequest]>('patch');
export const deleteUpdate = defineUpdate<IncompleteExecutionState, [DeleteRequest]>('delete');

/** Each request an IE takes, as a Signal and as an Update of the same name. */
export const requestMessages = {
  retry: { signal: retrySignal, update: retryUpdate },
  resolve: { signal: resolveSignal, update: resolveUpdate },
  patch: { signal: patchSignal, update: patchUpdate },
  delete: { signal: deleteSignal, update: deleteUpdate },
} as const;

export type IncompleteExecutionRequestKind = keyof typeof requestMessages;

/**
 * What the Temporal Web UI says of each message (the workflow's `__temporal_workflow_metadata`):
 * the operator's requests with their input, and the scenario coordinator's signals as internal,
 * not to be sent by hand (the Web UI lists every signal a workflow handles).
 */
export const messageDescriptions = {
  retry: 'Start an attempt now. Input: {"requestId"?: string, "reason"?: string}.',
  resolve: 'Patch, then start an attempt now. Input: {"requestId"?, "blueprint"?, "failer"?, "bundles"?, "reason"?}.',
  patch:
    'Change what the next attempt uses, without starting one. Input: {"requestId"?, "blueprint"?, "failer"?, "bundles"?, "reason"?}.',
  delete: 'Delete the IE: its bundles and blueprint go, its quota is freed. Input: {"requestId"?, "reason"?}.',
  state: "The IE as the API's detail shows it, plus nextRetryAt.",
  attemptSlotGranted:
    "INTERNAL, do not send: the scenario's coordinator grants this IE's attempt a slot. Use retry instead.",
  attemptSlotAskAgain:
    "INTERNAL, do not send: the scenario's coordinator restarted and asks for a pending slot request again.",
} as const;

/** The IE as the API's detail shows it, plus `nextRetryAt`. */
export const stateQuery = defineQuery<IncompleteExecutionState>('state');
