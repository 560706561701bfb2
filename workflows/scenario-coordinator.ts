/**
 * `scenarioCoordinator`: one per sequential scenario (`coordinator-<taskQueue>-<scenarioId>`),
 * started with signal-with-start by whoever needs it first. It starts every run of the scenario as
 * a child `scenarioRun`. Runs of a scenario that is not sequential (on demand, scheduled, webhook)
 * start without it (src/temporal/direct-runs.ts, webhook-dispatch.ts), and their ends count
 * consecutive errors in the store (activities/consecutive-errors.ts); a coordinator that still runs
 * for such a scenario (started before) finishes its runs and is signalled no more.
 *
 * Attempt slots are no longer handed out here: an IE takes a store lease (STORE_ATTEMPT_SLOTS_PATCH,
 * activities/scenario-leases.ts) and every run registers itself in the store (RUN_LEASE_PATCH), so
 * "no attempt while a run is in progress" holds whoever started the run. The slot messages below
 * stay for IE workflows recorded before, which still ask here.
 *
 * Make's rules it keeps (reference §1.3, §1.6, §3.2):
 * - **Sequential processing**: while the scenario has an open IE, no scheduled or webhook run
 *   starts; they wait in arrival order (webhook payloads in MongoDB, this workflow keeps only a
 *   cursor) and run one at a time once the last IE is resolved or deleted. Without it, webhook
 *   payloads run in parallel, bounded by the deployment's `maxConcurrentRuns`.
 * - **Ordering per key** (imex, `metadata.scenario.imex.orderKey`): a webhook payload waits only
 *   while an open IE has its key; the store picks the oldest payload no open IE holds, so a key's
 *   payloads keep their order and other keys run, one run at a time still. Such payloads are
 *   marked one by one (their seqs, carried until marked) instead of moving the cursor.
 * - **At most 3 IE attempts at once**; further attempts wait in order. No attempt starts while a
 *   run is in progress, and while an attempt waits no new run starts (attempts are not starved).
 * - **Consecutive errors**: after `maxErrors` automatic runs in a row end with status error the
 *   scenario is deactivated (its schedule paused); a webhook run deactivates it on its first
 *   error. Warnings and successes reset the count; runs on demand neither count nor reset; a
 *   scheduled run's transient error neither, its series of reruns decides (scenario-reruns.ts).
 *
 * Attempt slots are leases: the IE asks by signal (through an activity that signals with start),
 * is granted by a signal to `ie-<ieId>` and releases by signal. A holder whose workflow has closed
 * (terminated, reset) is found by a periodic check and its slot taken back; an IE that hears
 * nothing asks again.
 *
 * The history stays bounded: when it grows long the coordinator stops starting runs, waits for
 * the running ones, and continues as new with its small state (cursor, requests, leases, count).
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  consecutiveErrorsReason,
  deactivatesAtOnce,
  deactivatingErrorReason,
  errorsBeforeDeactivation,
  ieWorkflowId,
  ImexOrgId,
  ImexScenarioId,
  MAX_PARALLEL_ATTEMPTS,
  runWorkflowId,
  type AttemptSlotHolder,
  type AttemptSlotRequest,
  type Blueprint,
  type CoordinatedRunOutcome,
  type CoordinatedScenario,
  type CoordinatorCarry,
  type CoordinatorInput,
  type CoordinatorView,
  type QueuedWebhook,
  type RerunOf,
  type RunRequest,
  type ScenarioRunResult,
  rerunsScenario,
} from '../src/domain/plain';
import type { ImexActivities } from '../activities';
import {
  attemptSlotAskAgainSignal,
  attemptSlotGrantedSignal,
  attemptSlotReleasedSignal,
  attemptSlotRequestedSignal,
  coordinatorStateQuery,
  incompleteExecutionClosedSignal,
  runRequestedSignal,
  scenarioChangedSignal,
  webhooksQueuedSignal,
} from './scenario-coordinator-messages';
import { scenarioRun } from './scenario-run';
import { SCENARIO_RERUNS_PATCH } from './scenario-reruns';

const storeOptions = {
  startToCloseTimeout: '1 minute',
  // Store reads and writes are idempotent: keep trying through an outage rather than lose work.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
} as const;

const { prepareRuns, deactivateScenario, closedWorkflows, attemptsInProgress } = proxyActivities<ImexActivities>({
  ...storeOptions,
  // A lost worker is noticed within seconds (activity-timeouts.ts), not after a minute of held-back runs.
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
});

/**
 * `prepareRuns` is a few store reads and one idempotent mark: as a local activity it runs inside
 * the task that needs it, where an ordinary activity costs a round trip through the task queue
 * and one more workflow task (LEAN_PREPARE_PATCH).
 */
const localPrepare = proxyLocalActivities<ImexActivities>({
  ...storeOptions,
  // A longer outage waits on a workflow timer rather than holding the workflow task.
  localRetryThreshold: '10 seconds',
});

/**
 * Versioning: `prepareRuns` runs as a local activity, and reads one webhook payload more than it
 * may start, so that it knows whether others wait: a sequential scenario's run that ends with no
 * payload behind it is followed only by the mark of its entry (`markWebhooksConsumed`, local
 * too), not by a full look at the store (before, every run of a sequential scenario cost two
 * looks, each an activity and a workflow task). Histories recorded before it replay the old way.
 */
export const LEAN_PREPARE_PATCH = 'imex-coordinator-lean-prepare';

/** Versioning: an automatic run ending with a deactivating category deactivates the scenario at once. */
export const DEACTIVATING_CATEGORIES_PATCH = 'imex-deactivating-categories';

/**
 * Versioning: before it, every batch of run requests read the scenario through `prepareRuns`;
 * histories recorded then replay that way.
 */
export const DIRECT_MANUAL_RUNS_PATCH = 'imex-direct-manual-runs';

/**
 * Versioning: a webhook payload accepted with tracing on carries its request's `traceparent`, and
 * its run is started with it (the run joins the request's trace). Runs of histories from before
 * were started without.
 */
export const RUN_TRACE_CONTEXT_PATCH = 'imex-run-trace-context';

/**
 * Versioning: the coordinator may take webhook payloads out of order, by order key, and starts
 * their runs with the key. Histories from before read payloads only in order.
 */
export const ORDER_KEY_PATCH = 'imex-order-key';
/** How long a `prepareRuns` answer is trusted for runs on demand (changes are also signalled). */
const PREPARED_FRESH_MS = 60_000;
const HISTORY_EVENTS_BEFORE_CONTINUE = 2000;
const DEFAULT_LEASE_CHECK_MS = 2 * 60_000;
const DEFAULT_OPEN_IE_RECHECK_MS = 60_000;
/** Until the first `prepareRuns` says the deployment's bound. */
const DEFAULT_MAX_CONCURRENT_RUNS = 10;

type Candidate =
  | { kind: 'request'; request: RunRequest; receivedAt: string }
  | { kind: 'webhook'; webhook: QueuedWebhook; receivedAt: string };

interface RunningRun {
  trigger: CoordinatedRunOutcome['trigger'];
  activation: string | null;
}

export async function scenarioCoordinator(input: CoordinatorInput): Promise<void> {
  const { orgId, scenarioId } = input;
  const carry: CoordinatorCarry = input.carry ?? {
    webhookCursor: 0,
    pending: [],
    waitingAttempts: [],
    attemptHolders: [],
    consecutiveErrors: 0,
    activation: null,
  };
  const historyLimit = input.historyLimit ?? HISTORY_EVENTS_BEFORE_CONTINUE;
  const leaseCheckMs = input.leaseCheckMs ?? DEFAULT_LEASE_CHECK_MS;
  const openIeRecheckMs = input.openIeRecheckMs ?? DEFAULT_OPEN_IE_RECHECK_MS;

  let webhookCursor = carry.webhookCursor;
  /** Payloads picked by order key whose runs started, marked at the next `prepareRuns`. */
  const startedSeqs: number[] = [...(carry.startedWebhooks ?? [])];
  let markedThrough = 0; // a fresh run marks once more (idempotent)
  const pending: RunRequest[] = [...carry.pending];
  const waiting: AttemptSlotRequest[] = [...carry.waitingAttempts];
  const holders = new Map<string, AttemptSlotHolder>(carry.attemptHolders.map((h) => [h.ieId, h]));
  const regrants: AttemptSlotHolder[] = [];
  const running = new Map<string, RunningRun>();
  const finished: (CoordinatedRunOutcome & { activation: string | null })[] = [];
  let errors = { count: carry.consecutiveErrors, activation: carry.activation };
  let deactivatedActivation: string | null | undefined;

  let scenario: CoordinatedScenario | undefined;
  let blueprint: Blueprint | undefined;
  let maxConcurrentRuns = DEFAULT_MAX_CONCURRENT_RUNS;
  let blocked: CoordinatorView['blocked'] = null;
  let webhooksMaybe = true; // a fresh coordinator looks at the queue once
  let needsLook = true;
  let dirty = false;
  let draining = false;
  let started = 0;
  let nextLeaseCheckAt: number | undefined;
  let nextIeRecheckAt: number | undefined;
  let preparedAt: number | undefined;
  let scenarioChanged = false;
  /** A run ended with bundles parked since the last look: the next look must see its IEs (sequential waiting). */
  let parkedSinceLook = false;

  const wake = () => {
    dirty = true;
  };

  setHandler(runRequestedSignal, (request) => {
    if (pending.some((p) => p.executionId === request.executionId)) return;
    // Make pauses scheduling while the scenario waits: occurrences do not pile up, one waits. A
    // rerun is no occurrence: its series waits for its end, so it is never dropped.
    const occurrence = (r: RunRequest) => r.trigger === 'schedule' && r.rerun === undefined;
    if (occurrence(request) && pending.some(occurrence)) return;
    pending.push(request);
    needsLook = true;
    wake();
  });
  setHandler(webhooksQueuedSignal, () => {
    webhooksMaybe = true;
    needsLook = true;
    wake();
  });
  setHandler(scenarioChangedSignal, () => {
    scenarioChanged = true;
    webhooksMaybe = true;
    needsLook = true;
    wake();
  });
  setHandler(attemptSlotRequestedSignal, (request) => {
    const holder = holders.get(request.ieId);
    if (holder?.requestId === request.requestId) {
      regrants.push(holder); // asked again: the grant may have been lost
    } else {
      if (holder) holders.delete(request.ieId); // an older attempt's lease: that attempt is over
      const queued = waiting.find((w) => w.ieId === request.ieId);
      if (queued) queued.requestId = request.requestId;
      else waiting.push({ ieId: request.ieId, requestId: request.requestId });
    }
    wake();
  });
  setHandler(attemptSlotReleasedSignal, (release) => {
    if (holders.get(release.ieId)?.requestId === release.requestId) holders.delete(release.ieId);
    const index = waiting.findIndex((w) => w.ieId === release.ieId && w.requestId === release.requestId);
    if (index >= 0) waiting.splice(index, 1);
    if (release.ieClosed) needsLook = true;
    wake();
  });
  setHandler(incompleteExecutionClosedSignal, () => {
    needsLook = true;
    wake();
  });
  setHandler(coordinatorStateQuery, () => view());

  function view(): CoordinatorView {
    return {
      scenarioId,
      running: [...running.entries()].map(([executionId, r]) => ({ executionId, trigger: r.trigger })),
      pendingRuns: pending.length,
      webhookCursor,
      waitingAttempts: waiting.map((w) => w.ieId),
      attemptHolders: [...holders.keys()],
      blocked,
      consecutiveErrors: errors.count,
      started,
    };
  }

  function publishDetails(): void {
    const why =
      blocked === 'inactive'
        ? 'scenario inactive'
        : blocked === 'incomplete-executions'
          ? 'waiting on incomplete executions (sequential processing)'
          : 'processing';
    setCurrentDetails(
      `**${why}** · runs in progress ${running.size} · requested ${pending.length} · webhook cursor ${webhookCursor}\n\n` +
        `attempts: ${holders.size} of ${MAX_PARALLEL_ATTEMPTS} slots held, ${waiting.length} waiting · ` +
        `consecutive errors ${errors.count}`,
    );
  }

  function historyIsLong(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > historyLimit;
  }

  async function sendGrant(holder: AttemptSlotHolder): Promise<void> {
    try {
      await getExternalWorkflowHandle(ieWorkflowId(holder.ieId)).signal(attemptSlotGrantedSignal, {
        requestId: holder.requestId,
      });
    } catch {
      // The IE's workflow is gone: its slot is free again.
      if (holders.get(holder.ieId)?.requestId === holder.requestId) holders.delete(holder.ieId);
      wake();
    }
  }

  async function grantAttempts(): Promise<void> {
    const grants = regrants.splice(0).filter((h) => holders.get(h.ieId)?.requestId === h.requestId);
    // Make: an attempt does not start while a run of the scenario is in progress.
    if (running.size === 0) {
      while (waiting.length > 0 && holders.size < MAX_PARALLEL_ATTEMPTS) {
        const next = waiting.shift() as AttemptSlotRequest;
        const holder = { ...next, grantedAt: new Date().toISOString() };
        holders.set(next.ieId, holder);
        grants.push(holder);
      }
    }
    if (holders.size > 0) nextLeaseCheckAt ??= Date.now() + leaseCheckMs;
    await Promise.all(grants.map(sendGrant));
  }

  /** Leases of attempts whose IE workflow has closed are taken back. */
  async function checkLeases(): Promise<void> {
    nextLeaseCheckAt = holders.size > 0 ? Date.now() + leaseCheckMs : undefined;
    if (holders.size === 0) return;
    const ids = [...holders.values()].map((h) => ({ ieId: h.ieId, requestId: h.requestId }));
    const closed = new Set(await closedWorkflows({ workflowIds: ids.map((h) => ieWorkflowId(h.ieId)) }));
    for (const h of ids) {
      if (closed.has(ieWorkflowId(h.ieId)) && holders.get(h.ieId)?.requestId === h.requestId) holders.delete(h.ieId);
    }
  }

  function launch(
    executionId: string,
    trigger: CoordinatedRunOutcome['trigger'],
    data: unknown,
    current: CoordinatedScenario,
    bp: Blueprint,
    traceparent?: string,
    callbackUrl?: string,
    rerun?: RerunOf,
    orderKey?: string,
  ): void {
    const activation = current.activatedAt;
    // Only payloads accepted with tracing on carry one; histories from before replay without.
    const traced = traceparent !== undefined && patched(RUN_TRACE_CONTEXT_PATCH);
    running.set(executionId, { trigger, activation });
    started++;
    void (async () => {
      let outcome: CoordinatedRunOutcome | undefined;
      try {
        const handle = await startChild(scenarioRun, {
          workflowId: runWorkflowId(executionId),
          args: [
            {
              orgId,
              scenarioId,
              scenarioName: current.name,
              executionId,
              blueprint: bp,
              trigger,
              ...(data === undefined ? {} : { data }),
              ...(traced ? { traceparent } : {}),
              ...(callbackUrl ? { callbackUrl } : {}),
              ...(rerun ? { rerun } : {}),
              ...(orderKey === undefined ? {} : { orderKey }),
            },
          ],
          staticSummary: `Scenario "${current.name}" (#${scenarioId}) · ${trigger} run`,
          typedSearchAttributes: [
            { key: ImexOrgId, value: String(orgId) },
            { key: ImexScenarioId, value: String(scenarioId) },
          ],
          // A run outlives the coordinator's continue-as-new or termination.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          // One run per webhook payload, even if a coordinator starts it again.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        });
        const result = await handle.result();
        outcome = outcomeOf(executionId, trigger, result);
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) outcome = failedOutcome(executionId, trigger, err);
      }
      running.delete(executionId);
      if (outcome) finished.push({ ...outcome, activation });
      if (outcome && outcome.parked > 0) parkedSinceLook = true;
      if (pending.length > 0 || webhooksMaybe || webhookCursor > markedThrough || startedSeqs.length > 0) {
        needsLook = true;
      }
      wake();
    })();
  }

  /** A requested run (on demand, a schedule's occurrence or a rerun): no trace context, its own callback. */
  function launchRequest(request: RunRequest, current: CoordinatedScenario, bp: Blueprint): void {
    launch(
      request.executionId,
      request.trigger,
      request.data,
      current,
      bp,
      undefined,
      request.callbackUrl,
      request.rerun,
    );
  }

  /** Counts finished automatic runs; deactivates the scenario after too many errors in a row. */
  async function settleFinishedRuns(): Promise<void> {
    for (const run of finished.splice(0)) {
      if (run.trigger === 'manual') continue; // a person's run neither counts nor resets
      // Make: a scheduled run's transient error reruns the scenario; its series, not the count, decides.
      if (run.trigger === 'schedule' && run.status === 'error' && rerunsScenario(run.error?.type)) {
        if (patched(SCENARIO_RERUNS_PATCH)) continue;
      }
      if (run.activation !== errors.activation) errors = { count: 0, activation: run.activation };
      if (run.status !== 'error') {
        errors.count = 0;
        continue;
      }
      errors.count++;
      const current = scenario;
      if (!current || deactivatedActivation === run.activation) continue;
      // Make: an instant-trigger (webhook) scenario is deactivated on its first error, and some
      // categories deactivate any scenario at once (histories from before replay without it).
      const atOnce = deactivatesAtOnce(run.error?.type) && patched(DEACTIVATING_CATEGORIES_PATCH);
      const { threshold, webhookRule } = errorsBeforeDeactivation(run.trigger, current);
      if (!atOnce && (threshold <= 0 || errors.count < threshold)) continue;
      const reason =
        atOnce && run.error
          ? deactivatingErrorReason(run.error, run.executionId)
          : consecutiveErrorsReason({
              webhookRule,
              count: errors.count,
              threshold,
              ...(run.error ? { error: run.error } : {}),
              executionId: run.executionId,
            });
      await deactivateScenario({ orgId, scenarioId, reason, activation: run.activation });
      deactivatedActivation = run.activation;
      errors.count = 0;
      current.isActive = false;
      blocked = 'inactive';
    }
  }

  /**
   * Runs on demand start without asking the store again when nothing else waits and what the
   * coordinator knows of the scenario is fresh: it was read less than a minute ago and no change
   * was signalled since. Only webhook payloads, schedules and open IEs need the store. While
   * attempts hold slots the usual path is kept, so that a run does not start on the heels of the
   * last grants, before those attempts have begun.
   */
  function startManualRunsDirectly(): boolean {
    const current = scenario;
    if (!current?.found || !current.isActive || !blueprint || scenarioChanged || holders.size > 0) return false;
    if (preparedAt === undefined || Date.now() - preparedAt > PREPARED_FRESH_MS) return false;
    if (webhooksMaybe || webhookCursor > markedThrough || startedSeqs.length > 0) return false;
    if (pending.some((p) => p.trigger !== 'manual')) return false;
    if (!patched(DIRECT_MANUAL_RUNS_PATCH)) return false;
    const capacity = Math.max(0, (current.sequential ? 1 : maxConcurrentRuns) - running.size);
    for (const request of pending.splice(0, capacity)) launchRequest(request, current, blueprint);
    return true;
  }

  async function startRuns(): Promise<void> {
    // Waiting attempts go before the next run (no starvation under steady traffic).
    if (!needsLook || waiting.length > 0 || draining) return;
    const limit = () => (scenario?.sequential ? 1 : maxConcurrentRuns);
    if (running.size >= limit()) return;
    needsLook = false;
    if (pending.length === 0 && !webhooksMaybe && webhookCursor <= markedThrough && startedSeqs.length === 0) return;
    if (
      pending.length === 0 &&
      !webhooksMaybe &&
      !parkedSinceLook &&
      startedSeqs.length === 0 &&
      patched(LEAN_PREPARE_PATCH)
    ) {
      // Only the started payloads' entries to mark (nothing else waits, the last look said so, and
      // no run parked since, which would make the scenario wait on its IEs). Payloads picked by
      // order key are marked one by one, by prepareRuns.
      await localPrepare.markWebhooksConsumed({ scenarioId, through: webhookCursor });
      markedThrough = webhookCursor;
      return;
    }
    if (startManualRunsDirectly()) return;
    const requested = limit() - running.size;
    // Before the read: a change signalled while it runs must still count.
    preparedAt = Date.now();
    scenarioChanged = false;
    parkedSinceLook = false;
    const lean = patched(LEAN_PREPARE_PATCH);
    const byOrderKey = patched(ORDER_KEY_PATCH);
    const marking = startedSeqs.length;
    const prepared = await (lean ? localPrepare.prepareRuns : prepareRuns)({
      orgId,
      scenarioId,
      ...(scenario && blueprint ? { knownVersion: scenario.version } : {}),
      webhookAfter: webhookCursor,
      // One more than may start: whether any is left behind is known without another look.
      webhookLimit: lean ? requested + 1 : requested,
      consumedThrough: webhookCursor,
      ...(byOrderKey ? { byOrderKey } : {}),
      ...(marking > 0 ? { startedSeqs: startedSeqs.slice(0, marking) } : {}),
    });
    markedThrough = Math.max(markedThrough, webhookCursor);
    startedSeqs.splice(0, marking);
    scenario = prepared.scenario;
    if (prepared.scenario.blueprint) blueprint = prepared.scenario.blueprint;
    maxConcurrentRuns = prepared.maxConcurrentRuns;
    const current = scenario;
    if (!current.found || !current.isActive || !blueprint) {
      blocked = 'inactive';
      // Occurrences of a schedule are not kept for an inactive scenario; requests and payloads wait.
      for (let i = pending.length - 1; i >= 0; i--) if (pending[i]?.trigger === 'schedule') pending.splice(i, 1);
      return;
    }
    const waitingOnIes = current.sequential && prepared.openIncompleteExecutions > 0;
    // By order key, payloads no open IE holds still come; the held ones are looked for again.
    const byKey = prepared.byOrderKey === true;
    blocked = waitingOnIes && (!byKey || prepared.webhooks.length === 0) ? 'incomplete-executions' : null;
    nextIeRecheckAt = waitingOnIes ? (nextIeRecheckAt ?? Date.now() + openIeRecheckMs) : undefined;
    if (!waitingOnIes)
      webhooksMaybe = lean ? prepared.webhooks.length > requested : prepared.webhooks.length >= requested;

    // Arrival order across requests and webhook payloads; sequential waiting holds back all but runs on demand.
    const requests: Candidate[] = pending
      .filter((p) => !waitingOnIes || p.trigger === 'manual')
      .map((request) => ({ kind: 'request', request, receivedAt: request.receivedAt }));
    const webhooks: Candidate[] = prepared.webhooks.map((webhook) => ({
      kind: 'webhook',
      webhook,
      receivedAt: webhook.receivedAt,
    }));
    const candidates = mergeByArrival(requests, webhooks);
    const capacity = Math.max(0, limit() - running.size);
    for (const candidate of candidates.slice(0, capacity)) {
      if (candidate.kind === 'request') {
        pending.splice(pending.indexOf(candidate.request), 1);
        launchRequest(candidate.request, current, blueprint);
      } else {
        // Payloads start strictly in sequence: the cursor only moves forward over started ones.
        // Picked by order key, payloads held before this one still wait: it is marked on its own.
        if (byKey) startedSeqs.push(candidate.webhook.seq);
        else webhookCursor = candidate.webhook.seq;
        const { executionId, data, traceparent, orderKey } = candidate.webhook;
        const keyed = orderKey !== undefined && byOrderKey ? orderKey : undefined;
        launch(executionId, 'webhook', data, current, blueprint, traceparent, undefined, undefined, keyed);
      }
    }
    // Payloads read but not started (requests took the capacity) are read again later.
    if (candidates.slice(capacity).some((c) => c.kind === 'webhook')) webhooksMaybe = true;
  }

  if (!input.carry) {
    // A coordinator that starts afresh may have lost requests of a predecessor (terminated, reset):
    // incomplete executions in the middle of an attempt, or waiting for one, ask for their slot again.
    const inProgress = await attemptsInProgress({ orgId, scenarioId });
    await Promise.all(
      inProgress.map((ieId) =>
        getExternalWorkflowHandle(ieWorkflowId(ieId))
          .signal(attemptSlotAskAgainSignal)
          .catch(() => undefined),
      ),
    );
  }

  for (;;) {
    await settleFinishedRuns();
    const now = Date.now();
    if (nextLeaseCheckAt !== undefined && now >= nextLeaseCheckAt) await checkLeases();
    if (nextIeRecheckAt !== undefined && now >= nextIeRecheckAt) {
      nextIeRecheckAt = undefined;
      needsLook = true;
    }
    await grantAttempts();
    await startRuns();
    publishDetails();

    if (!draining && historyIsLong()) draining = true;
    if (draining && running.size === 0 && finished.length === 0) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof scenarioCoordinator>({
        ...input,
        carry: {
          webhookCursor,
          pending,
          waitingAttempts: waiting,
          attemptHolders: [...holders.values()],
          consecutiveErrors: errors.count,
          activation: errors.activation,
          ...(startedSeqs.length > 0 ? { startedWebhooks: startedSeqs } : {}),
        },
      });
    }
    if (dirty) {
      dirty = false;
      continue;
    }
    const deadlines = [nextLeaseCheckAt, nextIeRecheckAt].filter((d): d is number => d !== undefined);
    if (deadlines.length === 0) {
      await condition(() => dirty);
    } else {
      await condition(() => dirty, Math.max(1, Math.min(...deadlines) - Date.now()));
    }
    dirty = false;
  }
}

function mergeByArrival(a: Candidate[], b: Candidate[]): Candidate[] {
  const merged: Candidate[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x && (!y || x.receivedAt <= y.receivedAt)) {
      merged.push(x);
      i++;
    } else if (y) {
      merged.push(y);
      j++;
    }
  }
  return merged;
}

function outcomeOf(
  executionId: string,
  trigger: CoordinatedRunOutcome['trigger'],
  result: ScenarioRunResult,
): CoordinatedRunOutcome {
  return {
    executionId,
    trigger,
    status: result.status,
    parked: result.parkedTotal ?? result.parked.length,
    ...(result.error ? { error: result.error } : {}),
  };
}

/** A run with status error fails in Temporal; its result travels in the failure's details. */
function failedOutcome(
  executionId: string,
  trigger: CoordinatedRunOutcome['trigger'],
  err: unknown,
): CoordinatedRunOutcome {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.details?.length) {
    const [result] = cause.details as [ScenarioRunResult];
    if (result && typeof result === 'object' && 'status' in result) return outcomeOf(executionId, trigger, result);
  }
  const message = cause?.message ?? (err instanceof Error ? err.message : String(err));
  return { executionId, trigger, status: 'error', parked: 0, error: { type: 'UnexpectedError', message } };
}
