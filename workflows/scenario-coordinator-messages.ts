/**
 * Messages of the `scenarioCoordinator` workflow (`coordinator-<taskQueue>-<scenarioId>`), and the one it
 * sends back to an `incompleteExecution`. Defined once, imported by the workflows, the activities
 * that signal with start, and the client.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AttemptSlotRelease, AttemptSlotRequest, CoordinatorView, RunRequest } from '../src/domain/plain';

/** A run on demand or a schedule's occurrence. */
export const runRequestedSignal = defineSignal<[RunRequest]>('runRequested');
/** Webhook payloads were queued in MongoDB: read the queue. */
export const webhooksQueuedSignal = defineSignal<[{ seq: number }]>('webhooksQueued');
/** The scenario changed (activated, scheduling, blueprint): look again. */
export const scenarioChangedSignal = defineSignal<[{ reason: string }]>('scenarioChanged');
/** An incomplete execution wants to run an attempt; answered with `attemptSlotGranted`. */
export const attemptSlotRequestedSignal = defineSignal<[AttemptSlotRequest]>('attemptSlotRequested');
/** The attempt ended (and whether its IE resolved). */
export const attemptSlotReleasedSignal = defineSignal<[AttemptSlotRelease]>('attemptSlotReleased');
/** An incomplete execution was deleted (or resolved) outside an attempt. */
export const incompleteExecutionClosedSignal = defineSignal<[{ ieId: string }]>('incompleteExecutionClosed');

export const coordinatorStateQuery = defineQuery<CoordinatorView>('state');

/** Sent to `ie-<ieId>`: the attempt with this request id may run now. */
export const attemptSlotGrantedSignal = defineSignal<[{ requestId: string }]>('attemptSlotGranted');
/** Sent to `ie-<ieId>` by a coordinator that starts afresh: ask for your slot again (it may have been lost). */
export const attemptSlotAskAgainSignal = defineSignal<[]>('attemptSlotAskAgain');
