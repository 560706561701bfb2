/**
 * Attempt slots and runs in progress, held in the store (src/store/scenario-leases.ts) rather
 * than in the scenario coordinator's history: an attempt takes a slot with one activity and gives
 * it back with another, a run registers itself before its first module and unregisters at its
 * end. Nothing queues on a workflow, so a bulk retry of thousands of IEs costs each IE a few store
 * operations and the coordinator nothing.
 *
 * A lease whose holder is gone (its workflow terminated or reset without giving it back) is taken
 * back by whoever finds it in the way: after LEASE_CHECK_MS it is checked in Temporal, at most
 * once per LEASE_CHECK_MS. Waiting attempts are woken (signal `attemptSlotAskAgain`) when a slot
 * frees or the last run ends, oldest first; they also look again on their own, rarely.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ieWorkflowId, MAX_PARALLEL_ATTEMPTS } from '../src/domain';
import type { Store } from '../src/store';
import { signalCoordinatorIfRunning } from '../src/temporal/coordinator';
import { createLeaseLiveness } from '../src/temporal/lease-liveness';
import { attemptSlotAskAgainSignal, incompleteExecutionClosedSignal } from '../workflows/scenario-coordinator-messages';

export { LEASE_CHECK_MS } from '../src/temporal/lease-liveness';
/** A woken waiter normally asks for its slot within a second; past this it may be woken again. */
const WAKE_ANSWER_MS = 15_000;

export interface ScenarioLeaseDeps {
  store: Store;
  client: Client;
  taskQueue: string;
  /** The deployment's run-duration limit, which a registering run learns (ms). */
  runLimitMs?: number;
}

export interface AttemptSlotInput {
  orgId: number;
  scenarioId: number;
  ieId: string;
  /** The attempt's execution id. */
  requestId: string;
}

export interface RunLeaseInput {
  orgId: number;
  scenarioId: number;
  executionId: string;
}

export function createScenarioLeaseActivities(deps: ScenarioLeaseDeps) {
  const { store, client, taskQueue } = deps;
  const leases = store.leases;
  const { liveLeases } = createLeaseLiveness({ store, client });

  /**
   * Wakes the attempts that waited longest, as many as there may be slots for. A waiter woken
   * moments ago is still on its way to take its slot: it is not woken again (that wake would be
   * lost on it), the next one is.
   */
  async function wakeWaiting(scenarioId: number, count: number): Promise<void> {
    const now = new Date();
    const candidates = await leases.waitsToWake(scenarioId, new Date(now.getTime() - WAKE_ANSWER_MS), count + 8);
    let woken = 0;
    for (const waiting of candidates) {
      if (woken === count) return;
      await leases.markWoken(waiting, now);
      try {
        await client.workflow.getHandle(ieWorkflowId(waiting.ieId ?? '')).signal(attemptSlotAskAgainSignal);
        woken++;
      } catch (err) {
        // Its workflow is gone: it waits no more, and the next one is woken instead.
        if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test(String(err))) {
          await leases.drop(waiting);
        } else throw err;
      }
    }
  }

  /** Takes a slot when no run is in progress and one is free (or held by a holder that is gone). */
  async function tryTakeSlot(input: AttemptSlotInput): Promise<boolean> {
    const { scenarioId, ieId, requestId } = input;
    if ((await liveLeases(scenarioId, 'run')).length > 0) return false;
    let slot = await leases.takeAttemptSlot(scenarioId, ieId, requestId, MAX_PARALLEL_ATTEMPTS);
    if (slot === null && (await liveLeases(scenarioId, 'attempt')).length < MAX_PARALLEL_ATTEMPTS) {
      slot = await leases.takeAttemptSlot(scenarioId, ieId, requestId, MAX_PARALLEL_ATTEMPTS);
    }
    if (slot === null) return false;
    // A run that registered meanwhile goes first: it waits for held slots, so give this one back
    // (a wait already recorded stays: the run's end wakes it).
    if ((await leases.list(scenarioId, 'run')).length === 0) {
      await leases.forgetWait(scenarioId, ieId);
      return true;
    }
    await leases.giveBackSlot(scenarioId, requestId);
    return false;
  }

  /**
   * Make: at most 3 attempts at once per scenario, none while a run is in progress. Takes a slot
   * (then checks for runs: write, then read), or records the wait and answers `granted: false`.
   */
  async function takeAttemptSlot(input: AttemptSlotInput): Promise<{ granted: boolean }> {
    if (await tryTakeSlot(input)) return { granted: true };
    await leases.recordWait(input.scenarioId, input.ieId, input.requestId);
    // Write, then read: a slot freed after the first look woke nobody (the wait was not recorded
    // yet), so look once more. From here on, whoever frees a slot sees this wait and wakes it.
    return { granted: await tryTakeSlot(input) };
  }

  /** The attempt is over (or withdrawn): its slot frees, and the longest waiting attempt is woken. */
  async function releaseStoredAttemptSlot(input: AttemptSlotInput & { ieClosed?: boolean }): Promise<void> {
    await leases.releaseAttempt(input.scenarioId, input.ieId, input.requestId);
    if ((await leases.list(input.scenarioId, 'run')).length === 0) await wakeWaiting(input.scenarioId, 1);
    // A sequential scenario's coordinator may go on once its IEs are closed.
    if (input.ieClosed) {
      await signalCoordinatorIfRunning(client, taskQueue, input.scenarioId, incompleteExecutionClosedSignal, {
        ieId: input.ieId,
      });
    }
  }

  /**
   * A run begins: registered before its first module (no attempt starts from now on), it answers
   * how many attempts still hold a slot. The run waits until none does (attempts that were granted
   * just before it, or are running), asking again with the same call.
   */
  async function registerRun(input: RunLeaseInput): Promise<{ attemptsHolding: number; runLimitMs?: number }> {
    await leases.registerRun(input.scenarioId, input.executionId);
    const attemptsHolding = (await liveLeases(input.scenarioId, 'attempt')).length;
    return deps.runLimitMs === undefined ? { attemptsHolding } : { attemptsHolding, runLimitMs: deps.runLimitMs };
  }

  /** The run ended: when it was the last, the attempts waiting for slots are woken. */
  async function unregisterRun(input: RunLeaseInput): Promise<void> {
    await leases.unregisterRun(input.scenarioId, input.executionId);
    if ((await leases.list(input.scenarioId, 'run')).length === 0) {
      await wakeWaiting(input.scenarioId, MAX_PARALLEL_ATTEMPTS);
    }
  }

  return { takeAttemptSlot, releaseStoredAttemptSlot, registerRun, unregisterRun };
}
