/**
 * `incompleteExecution`: one per parked bundle (workflow id `ie-<ieId>`). It waits on **either**
 * the next timer of the auto-retry schedule **or** a person's request, and runs each attempt as a
 * child `scenarioRun` that resumes at the failed module with the stored bundles.
 *
 * Make's rules (DESIGN.md §5): every attempt, automatic or manual, counts and moves the schedule
 * one step; after the last step the IE waits for a person (`unresolved`, retry off); a retry that
 * fails with a category that is not auto-retried stops the schedule; an attempt that gets past the
 * failed module and fails later moves the same IE there. Success resolves it.
 *
 * Every change is written through to MongoDB (the truth for lists) and mirrored in search
 * attributes and current details for the Temporal Web UI.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import {
  ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  checkIncompleteExecutionRequest,
  delayForAttempt,
  executionIdFromUuid,
  ImexOrgId,
  INCOMPLETE_EXECUTION_PRIORITY,
  ImexScenarioId,
  incompleteExecutionDetails,
  incompleteExecutionSearchAttributes,
  incompleteExecutionWriteThrough,
  runWorkflowId,
  temporalActor,
  type CheckedIncompleteExecutionRequest,
  type IeChangeStamp,
  type IncompleteExecutionInput,
  type IncompleteExecutionState,
  type RequestVerdict,
  type ScenarioRunResult,
} from '../src/domain/plain';
import type { ImexActivities } from '../activities';
import {
  messageDescriptions,
  requestMessages,
  stateQuery,
  type IncompleteExecutionRequestKind,
} from './incomplete-execution-messages';
import { attemptSlotAskAgainSignal, attemptSlotGrantedSignal } from './scenario-coordinator-messages';
import { scenarioRun } from './scenario-run';

/**
 * Versioning: attempts ask the scenario's coordinator for a slot (Make: at most 3 attempts at
 * once per scenario, none while a run is in progress) and release it after; a deleted IE tells
 * the coordinator (a sequential scenario may go on). Histories from before replay without.
 */
export const COORDINATED_ATTEMPTS_PATCH = 'imex-coordinated-attempts';

/**
 * Versioning: every request that changes an IE is recorded in its change log (who, when, why,
 * before/after). Patches, resolves and deletes record it in the activity that applies them (no new
 * command); a retry, and a resolve without edits, record it with an activity of their own, which
 * histories from before do not have.
 */
export const CHANGE_LOG_PATCH = 'imex-ie-change-log';

/**
 * Versioning: an IE that waits for the coordinator's slot is `pending` with `waitingForSlot`, not
 * `in_progress`; it can be patched (the attempt reads its data after the grant) or deleted (the
 * request is withdrawn). Before it, the status said `in_progress` from the request on, and such
 * histories replay that way.
 */
export const ATTEMPT_SLOT_WAIT_PATCH = 'imex-attempt-slot-wait';

/**
 * Versioning: a workflow started for an IE that is already deleted or resolved (a park replayed
 * after the IE closed, a reset of the run) ends at its first write-through, changing nothing.
 */
export const CLOSED_STAYS_CLOSED_PATCH = 'imex-closed-stays-closed';

/**
 * Versioning: attempt slots are leases in the store (activities/scenario-leases.ts), taken and
 * given back by activity; the coordinator is not asked. Before it, the slot was asked of the
 * scenario's coordinator by signal and granted by signal, and such histories replay that way.
 */
export const STORE_ATTEMPT_SLOTS_PATCH = 'imex-store-attempt-slots';
/** A waiting attempt is woken when a slot frees; it also looks again by itself, after at most this. */
const SLOT_RECHECK_MAX_MS = 60_000;
const SLOT_RECHECK_FIRST_MS = 2_000;

/**
 * Versioning: a recorded wait is always woken when a slot frees (the wait is written before the
 * last look, and a waiter just woken is not woken twice), so the waiter's own look only covers a
 * holder that vanished: rarely, and spread out, so that a thousand waiting attempts of a bulk
 * retry do not all ask at the same moments (before, they asked every 2 s at first).
 */
export const RARE_SLOT_RECHECK_PATCH = 'imex-rare-slot-recheck';
const RARE_SLOT_RECHECK_FIRST_MS = 30_000;
const RARE_SLOT_RECHECK_MAX_MS = 300_000;

/**
 * Versioning: an attempt's child run is started at the IE's task-queue priority, below live runs
 * (src/domain/task-priority.ts), also for an IE whose workflow was started before priorities (and
 * so runs at the default). Histories from before start it without one.
 */
export const ATTEMPT_PRIORITY_PATCH = 'imex-attempt-priority';

/**
 * Versioning: a retry request is answered in the workflow task that accepts it (the request is
 * durable in the history then); its change-log entry is written by the attempt it starts, beside
 * the `pending` write-through. Before it, the Update waited for that activity, so a bulk retry of
 * 1,000 IEs was accepted only as fast as activities ran under the attempts' load. Histories from
 * before write the entry before answering.
 */
export const PROMPT_RETRY_ACCEPT_PATCH = 'imex-prompt-retry-accept';

/**
 * Versioning: a retry may start at an earlier module than the failed one (`from`) and bring the
 * blueprint to run (the scenario's current one): the blueprint is stored on the IE as a patch is,
 * then the attempt runs the plan from there (src/domain/retry-plan.ts). Retries recorded before
 * it carried neither (the request check refused them).
 */
export const RETRY_FROM_PATCH = 'imex-retry-from';

// Every activity heartbeats while it runs: a lost worker is noticed within seconds (activity-timeouts.ts).
const coordination = proxyActivities<ImexActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const store = proxyActivities<ImexActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  // Write-through and storage are idempotent: retry through a store outage rather than lose state.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Requests remembered for idempotency, and carried across continue-as-new. */
const REMEMBERED_REQUESTS = 200;
/** Continue-as-new well before Temporal's suggested limits; bounded history whatever the traffic. */
const HISTORY_EVENTS_BEFORE_CONTINUE = 2000;

type RequestKind = IncompleteExecutionRequestKind;

export async function incompleteExecution(input: IncompleteExecutionInput): Promise<IncompleteExecutionState> {
  const state: IncompleteExecutionState = { ...input.state };
  const schedule = input.schedule;
  const seen = new Map<string, RequestVerdict>(input.seenRequestIds ?? []);
  let attemptRequested = input.attemptDue ?? false;
  /** Where the next attempt starts, when a retry asked for a module before the failed one. */
  let attemptFrom = input.attemptFrom;
  let attemptRunning = false;
  let deleteRequested = false;
  // Requests are applied one at a time, in arrival order: a patch's store write never interleaves
  // with another request.
  let busy = false;
  let grantedRequestId: string | undefined;
  let askAgain = false;
  /** Whether this attempt's slot is a store lease (else the coordinator's). */
  let slotsInStore = false;
  /** The change-log stamp of the delete being carried out. */
  let deleteStamp: IeChangeStamp | undefined;
  /** Requests applied in this run: the change-log key of a request that came without an id. */
  let applied = 0;
  /** An accepted retry whose change-log entry its attempt writes (PROMPT_RETRY_ACCEPT_PATCH). */
  let retryToLog: { stamp: IeChangeStamp; before: { status: string; attempts: number } } | undefined;

  // Descriptions show in the Temporal Web UI (the workflow's metadata): the coordinator's signals are internal.
  setHandler(stateQuery, () => state, { description: messageDescriptions.state });
  setHandler(
    attemptSlotGrantedSignal,
    ({ requestId }) => {
      grantedRequestId = requestId;
    },
    { description: messageDescriptions.attemptSlotGranted },
  );
  setHandler(
    attemptSlotAskAgainSignal,
    () => {
      askAgain = true;
    },
    { description: messageDescriptions.attemptSlotAskAgain },
  );

  /**
   * Waits for the coordinator's slot for this attempt. No timer (the IE's history shows only its
   * schedule's): a coordinator that starts afresh, and so may have lost the request, asks again.
   * Answers false when `withdrawn` says the wait is over (the IE is being deleted).
   */
  async function acquireAttemptSlot(requestId: string, withdrawn: () => boolean = () => false): Promise<boolean> {
    const address = { orgId: state.orgId, scenarioId: state.scenarioId, ieId: state.ieId, requestId };
    slotsInStore = patched(STORE_ATTEMPT_SLOTS_PATCH);
    if (slotsInStore) {
      // Woken by the attempt or run that frees the way; the timer only covers a vanished holder.
      const rare = patched(RARE_SLOT_RECHECK_PATCH);
      const maxMs = rare ? RARE_SLOT_RECHECK_MAX_MS : SLOT_RECHECK_MAX_MS;
      for (let recheckMs = rare ? RARE_SLOT_RECHECK_FIRST_MS : SLOT_RECHECK_FIRST_MS; ;) {
        askAgain = false;
        if ((await coordination.takeAttemptSlot(address)).granted) return true;
        if (withdrawn()) return false;
        // Math.random is the workflow's seeded one: the same on replay.
        await condition(
          () => askAgain || withdrawn(),
          rare ? Math.round(recheckMs * (1 + Math.random() / 2)) : recheckMs,
        );
        if (withdrawn()) return false;
        recheckMs = Math.min(recheckMs * 2, maxMs);
      }
    }
    for (;;) {
      askAgain = false;
      await coordination.requestAttemptSlot(address);
      await condition(() => grantedRequestId === requestId || askAgain || withdrawn());
      if (grantedRequestId === requestId) return true;
      if (withdrawn()) return false;
    }
  }

  /** Gives the attempt's slot back where it was taken (a withdrawn wait is forgotten too). */
  async function releaseSlot(release: Parameters<ImexActivities['releaseStoredAttemptSlot']>[0]): Promise<void> {
    if (slotsInStore) await coordination.releaseStoredAttemptSlot(release);
    else await coordination.releaseAttemptSlot(release);
  }

  const historyLimit = input.historyLimit ?? HISTORY_EVENTS_BEFORE_CONTINUE;
  function historyIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > historyLimit;
  }

  /** A requested attempt has begun: it runs, or waits for its slot at the coordinator. */
  function attemptStarted(): boolean {
    return attemptRunning || state.waitingForSlot === true;
  }

  /** Why a request cannot be honoured now, or undefined when it can. */
  function refusal(kind: RequestKind): string | undefined {
    if (state.deleted || deleteRequested) return 'the incomplete execution is deleted';
    if (state.resolved) return 'the incomplete execution is already resolved';
    if (attemptRunning || attemptRequested) return 'an attempt is in progress';
    // Waiting for a slot, an IE can still be patched (the attempt uses the patch) or deleted.
    if (state.waitingForSlot && kind === 'retry') return 'an attempt is already waiting for a slot';
    return undefined;
  }

  function remember(requestId: string | undefined, verdict: RequestVerdict): void {
    if (!requestId) return;
    seen.set(requestId, verdict);
    while (seen.size > REMEMBERED_REQUESTS) seen.delete(seen.keys().next().value as string);
  }

  /** Signals cannot answer: a refused one is recorded in the IE's log and current details. */
  async function recordRejection(kind: RequestKind, requestId: string | undefined, reason: string) {
    remember(requestId, { accepted: false, reason });
    state.lastRejection = { ...(requestId ? { requestId } : {}), request: kind, reason };
    publishDetails();
    await store.recordRejection(state.ieId, state.lastRejection);
  }

  /** Validators run before anything is written: they throw the reason, and nothing changes. */
  function validate(kind: RequestKind, requestId: string | undefined): void {
    const earlier = requestId ? seen.get(requestId) : undefined;
    if (earlier) {
      if (!earlier.accepted) throw new Error(earlier.reason);
      return; // a duplicate of an accepted request: answered again, not applied again
    }
    const reason = refusal(kind);
    if (reason) throw new Error(reason);
  }

  /** Who asked, when and why, as the change log records it (deterministic: replays give the same key). */
  function stampOf(
    kind: RequestKind,
    request: CheckedIncompleteExecutionRequest,
    mode: 'signal' | 'update',
  ): IeChangeStamp {
    applied += 1;
    return {
      key: request.requestId ?? `${workflowInfo().runId}:${applied}`,
      kind,
      at: new Date().toISOString(),
      actor: request.actor ?? temporalActor(mode),
      ...(request.reason === undefined ? {} : { reason: request.reason }),
      ...(request.requestId === undefined ? {} : { requestId: request.requestId }),
    };
  }

  /** A request that changes no stored data: its log entry says what it did to the lifecycle. */
  async function recordRequest(stamp: IeChangeStamp, before: { status: string; attempts: number }) {
    if (!patched(CHANGE_LOG_PATCH)) return;
    await store.recordIncompleteExecutionChange({
      orgId: state.orgId,
      ieId: state.ieId,
      stamp,
      changes: {
        status: { before: before.status, after: 'in_progress' },
        attempts: { before: before.attempts, after: before.attempts + 1 },
      },
    });
  }

  /** The change-log entry of the accepted retry this attempt carries out, if it has one to write. */
  async function recordAcceptedRetry(): Promise<void> {
    const accepted = retryToLog;
    retryToLog = undefined;
    if (accepted) await recordRequest(accepted.stamp, accepted.before);
  }

  async function applyPatch(
    patch: CheckedIncompleteExecutionRequest,
    stamp: IeChangeStamp,
  ): Promise<string | undefined> {
    const { requestId: _requestId, actor: _actor, reason: _reason, from: _from, ...fields } = patch;
    if (fields.blueprint === undefined && fields.failer === undefined && fields.bundles === undefined) return undefined;
    const result = await store.patchIncompleteExecution(state.ieId, fields, stamp);
    if (!result.ok) return result.reason;
    state.failer = result.failer;
    await publish();
    return undefined;
  }

  async function handle(kind: RequestKind, raw: unknown, mode: 'signal' | 'update'): Promise<IncompleteExecutionState> {
    // Every waiter wakes when `busy` clears; the first to run takes it, the others wait again.
    while (busy) await condition(() => !busy);
    busy = true;
    try {
      return await apply(kind, raw, mode);
    } finally {
      busy = false;
    }
  }

  async function apply(kind: RequestKind, raw: unknown, mode: 'signal' | 'update'): Promise<IncompleteExecutionState> {
    const reject = async (requestId: string | undefined, reason: string, remembered = true) => {
      if (mode === 'update') {
        if (remembered) remember(requestId, { accepted: false, reason });
        throw ApplicationFailure.nonRetryable(reason, 'Rejected');
      }
      await recordRejection(kind, requestId, reason);
      return state;
    };
    const parsed = parseRequest(kind, raw);
    if (!parsed.ok) return reject(undefined, parsed.reason);
    const request = parsed.request;
    const requestId = request.requestId;
    const earlier = requestId ? seen.get(requestId) : undefined;
    if (earlier) {
      // A duplicate is answered as before and not applied again.
      if (!earlier.accepted && mode === 'update') throw ApplicationFailure.nonRetryable(earlier.reason, 'Rejected');
      return state;
    }
    // Validators ran when the update arrived; the state may have changed while it waited its turn.
    // A refusal because of the current state is not remembered: the same request may succeed later.
    const reason = refusal(kind);
    if (reason) return reject(requestId, reason, false);

    const stamp = stampOf(kind, request, mode);
    const before = { status: state.status, attempts: state.attempts };
    if (kind === 'retry' && (request.from !== undefined || request.blueprint !== undefined)) {
      if (patched(RETRY_FROM_PATCH)) {
        // The blueprint to run is the IE's from now on (as a patch would make it), logged as this retry.
        const patchRefusal = await applyPatch({ blueprint: request.blueprint }, stamp);
        if (patchRefusal) return reject(requestId, patchRefusal);
        attemptFrom = request.from;
      }
    }
    if (kind === 'retry' || kind === 'delete') {
      remember(requestId, { accepted: true });
      if (kind === 'retry') attemptRequested = true;
      else {
        deleteStamp = stamp;
        deleteRequested = true;
      }
      // The attempt starts at once; its log entry is written meanwhile (the delete's by the delete):
      // by the attempt itself, so that the request is answered without waiting for an activity.
      if (kind === 'retry') {
        if (patched(PROMPT_RETRY_ACCEPT_PATCH)) retryToLog = { stamp, before };
        else await recordRequest(stamp, before);
      }
      await condition(() => (kind === 'retry' && attemptStarted()) || state.resolved || state.deleted);
      return state;
    }
    const patchRefusal = await applyPatch(request, stamp);
    // Nothing was written when the patch is refused: the activity validates before storing.
    if (patchRefusal) return reject(requestId, patchRefusal);
    remember(requestId, { accepted: true });
    // A resolve while an attempt waits for its slot is that attempt's patch: no second attempt.
    if (kind === 'resolve' && !state.waitingForSlot) {
      attemptRequested = true;
      const edited = request.blueprint !== undefined || request.failer !== undefined || request.bundles !== undefined;
      if (!edited) await recordRequest(stamp, before);
      await condition(() => attemptStarted() || state.resolved || state.deleted);
    }
    return state;
  }

  for (const kind of Object.keys(requestMessages) as RequestKind[]) {
    const { signal, update } = requestMessages[kind];
    const description = messageDescriptions[kind];
    setHandler(signal, async (request?: unknown) => void (await handle(kind, request, 'signal')), { description });
    setHandler(update, (request?: unknown) => handle(kind, request, 'update'), {
      description,
      validator: (request?: unknown) => {
        const parsed = parseRequest(kind, request);
        if (!parsed.ok) throw new Error(parsed.reason);
        validate(kind, parsed.request.requestId);
      },
    });
  }

  function publishDetails(): void {
    setCurrentDetails(incompleteExecutionDetails(state, schedule.length));
  }

  /**
   * Mirrors the state in search attributes and details, and writes it through to MongoDB.
   * Answers how the IE's document is closed when it is (then nothing was written).
   */
  async function publish(): Promise<'deleted' | 'resolved' | undefined> {
    upsertSearchAttributes(incompleteExecutionSearchAttributes(state));
    publishDetails();
    // Histories from before the answer recorded none.
    const answer = await store.syncIncompleteExecution(state.ieId, incompleteExecutionWriteThrough(state));
    return answer?.closed;
  }

  /** Runs an attempt when one is requested; answers 'withdrawn' when a delete ended its wait for a slot. */
  async function runAttempt(): Promise<'withdrawn' | undefined> {
    if (patched(ATTEMPT_SLOT_WAIT_PATCH)) return runAttemptAfterSlot();
    attemptRunning = true;
    attemptRequested = false;
    state.attempts += 1;
    state.status = 'in_progress';
    state.nextRetryAt = null;
    await Promise.all([publish(), recordAcceptedRetry()]);

    const executionId = executionIdFromUuid(uuid4());
    const coordinated = patched(COORDINATED_ATTEMPTS_PATCH);
    if (coordinated) await acquireAttemptSlot(executionId);
    await attempt(executionId, coordinated);
    return undefined;
  }

  /**
   * Make counts and shows an attempt once it runs: while the scenario's coordinator holds it back
   * the IE stays `pending` (`waitingForSlot`), takes patches, and a delete withdraws the request.
   */
  async function runAttemptAfterSlot(): Promise<'withdrawn' | undefined> {
    attemptRequested = false;
    state.waitingForSlot = true;
    state.status = 'pending';
    state.nextRetryAt = null;
    await Promise.all([publish(), recordAcceptedRetry()]);

    const executionId = executionIdFromUuid(uuid4());
    const granted = await acquireAttemptSlot(executionId, () => deleteRequested);
    // The data is read after the grant, once a patch being applied has been written.
    if (granted) await condition(() => !busy || deleteRequested);
    state.waitingForSlot = false;
    if (!granted || deleteRequested) {
      // Withdrawn: the coordinator forgets the request (or takes the slot back) for the scenario's other IEs.
      await releaseSlot({ orgId: state.orgId, scenarioId: state.scenarioId, ieId: state.ieId, requestId: executionId });
      state.status = state.retry ? 'pending' : 'unresolved';
      return 'withdrawn';
    }
    attemptRunning = true;
    state.attempts += 1;
    state.status = 'in_progress';
    await attempt(executionId, true, true);
    return undefined;
  }

  /**
   * One attempt, the slot held: the child run from the failed module, then the IE's new state.
   * `publishing`: the `in_progress` write-through goes alongside reading the IE's data, so the
   * attempt begins as soon after its grant as before (the coordinator may start a run meanwhile).
   */
  async function attempt(executionId: string, coordinated: boolean, publishing = false): Promise<void> {
    attemptRunning = true;
    try {
      const from = attemptFrom;
      attemptFrom = undefined;
      const preparing =
        from === undefined ? store.prepareAttempt(state.ieId) : store.prepareAttempt(state.ieId, { from });
      // Both settle before going on: a failed read must not overtake the write-through.
      if (publishing) await Promise.all([preparing.catch(() => undefined), publish()]);
      const prepared = await preparing;
      await executeChild(scenarioRun, {
        workflowId: runWorkflowId(executionId),
        args: [
          {
            orgId: state.orgId,
            scenarioId: state.scenarioId,
            scenarioName: state.scenarioName,
            executionId,
            blueprint: prepared.blueprint,
            trigger: 'attempt',
            resume: {
              ieId: state.ieId,
              failer: prepared.failer,
              context: prepared.context,
              originalExecutionId: prepared.executionId,
              bundleIndex: prepared.bundleIndex,
              ...(prepared.rerun ? { rerun: true } : {}),
            },
          },
        ],
        staticSummary: `Attempt ${state.attempts} of incomplete execution ${state.ieId} (from module ${prepared.failer})`,
        typedSearchAttributes: [
          { key: ImexOrgId, value: String(state.orgId) },
          { key: ImexScenarioId, value: String(state.scenarioId) },
        ],
        // A finished IE must not leave its attempt running, nor kill it mid-module: let it end.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        ...(patched(ATTEMPT_PRIORITY_PATCH) ? { priority: INCOMPLETE_EXECUTION_PRIORITY } : {}),
      });
      await store.resolveIncompleteExecution(state.ieId);
      state.status = 'resolved';
      state.resolved = true;
      state.retry = false;
    } catch (err) {
      const result = attemptResultFrom(err);
      const failed = result?.failure;
      if (failed) {
        await store.recordAttemptFailure(state.ieId, failed);
        state.failer = failed.failer;
        state.error = { type: failed.error.type, message: failed.error.message };
        // Make: a category that is not auto-retried stops the schedule.
        if (failed.outcome !== 'park-auto-retry') state.retry = false;
      } else {
        // The attempt could not run at all (e.g. the patched blueprint no longer has the module):
        // a person has to look.
        const innermost = err instanceof Error ? ((err.cause as Error | undefined) ?? err) : undefined;
        const message = innermost?.message ?? String(err);
        state.error = { type: 'UnexpectedError', message: `the attempt could not run: ${message}` };
        state.retry = false;
      }
      if (state.retry && delayForAttempt(schedule, state.attempts) === undefined) state.retry = false;
      state.status = state.retry ? 'pending' : 'unresolved';
    } finally {
      attemptRunning = false;
    }
    if (coordinated) {
      await releaseSlot({
        orgId: state.orgId,
        scenarioId: state.scenarioId,
        ieId: state.ieId,
        requestId: executionId,
        ieClosed: state.resolved,
      });
    }
    await publish();
  }

  /** Make: deleting removes the bundles and blueprint and releases the quota; a tombstone stays. */
  async function deleteNow(): Promise<void> {
    await store.deleteIncompleteExecution(state.ieId, deleteStamp);
    if (patched(COORDINATED_ATTEMPTS_PATCH)) {
      await coordination.notifyIncompleteExecutionClosed({
        orgId: state.orgId,
        scenarioId: state.scenarioId,
        ieId: state.ieId,
      });
    }
    state.deleted = true;
    state.retry = false;
    state.nextRetryAt = null;
    publishDetails();
  }

  const closedAtStart = await publish();
  if (closedAtStart && patched(CLOSED_STAYS_CLOSED_PATCH)) {
    // Started for an IE that was deleted or resolved (a replayed park, a reset): it stays closed.
    state.deleted = closedAtStart === 'deleted';
    state.resolved = closedAtStart === 'resolved';
    state.retry = false;
    state.nextRetryAt = null;
    publishDetails();
    return state;
  }
  while (!state.resolved && !state.deleted) {
    let timeoutMs: number | undefined;
    if (state.retry) {
      const stepDelay = delayForAttempt(schedule, state.attempts);
      if (stepDelay === undefined) {
        state.retry = false;
        state.status = 'unresolved';
        await publish();
      } else {
        if (!state.nextRetryAt) {
          // The timer starts with exactly the step's delay (history shows 60 s, 600 s, …).
          state.nextRetryAt = new Date(Date.now() + stepDelay).toISOString();
          timeoutMs = stepDelay;
          await publish();
        } else {
          // Resumed (continue-as-new, or woken without an attempt): what is left of the step.
          timeoutMs = Math.max(0, Date.parse(state.nextRetryAt) - Date.now());
        }
      }
    }
    // A long history (many messages) wakes the loop too, to continue as new while idle.
    const wake = () => attemptRequested || deleteRequested || historyIsLong();
    const woken =
      timeoutMs === undefined
        ? await condition(wake).then(() => true)
        : await condition(wake, timeoutMs, { summary: `auto-retry ${state.attempts + 1} of ${schedule.length}` });
    if (deleteRequested) {
      await deleteNow();
      break;
    }
    if (!woken) attemptRequested = true; // the auto-retry timer fired
    if (attemptRequested && (await runAttempt()) === 'withdrawn') {
      await deleteNow();
      break;
    }

    if (!state.resolved && historyIsLong()) {
      // Never while an attempt's child run is open: attempts run inside this loop, so none is.
      await condition(allHandlersFinished);
      await continueAsNew<typeof incompleteExecution>({
        state,
        schedule,
        seenRequestIds: [...seen.entries()],
        attemptDue: attemptRequested,
        ...(attemptFrom === undefined ? {} : { attemptFrom }),
        historyLimit: input.historyLimit,
      });
    }
  }
  await condition(allHandlersFinished);
  return state;
}

/** Checked without zod (too heavy for workflow code), with the verdicts and messages of the requests' zod schemas. */
function parseRequest(kind: RequestKind, raw: unknown) {
  return checkIncompleteExecutionRequest(kind, raw);
}

/** The attempt's result travels in the failure details of its failed child run. */
function attemptResultFrom(err: unknown): ScenarioRunResult | undefined {
  // A failed prepareAttempt (nothing stored to attempt with) is not an attempt result.
  if (err instanceof ActivityFailure) return undefined;
  if (!(err instanceof ChildWorkflowFailure)) throw err;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.details?.length) {
    const [result] = cause.details as [ScenarioRunResult];
    if (result && typeof result === 'object' && 'status' in result) return result;
  }
  return undefined;
}
