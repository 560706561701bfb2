/**
 * Delivering a scenario's queued webhook payloads (src/store/webhook-queue.ts) to runs. A scenario
 * that is not sequential has its payloads' runs started here, directly (src/temporal/direct-runs.ts),
 * without its coordinator; a sequential scenario's coordinator is woken instead, as before, since
 * it holds payloads back while an incomplete execution is open (Make §1.3).
 *
 * Called after a payload is queued (the API, through the coalescing CoordinatorWake), when a
 * webhook run ends (it frees a place: activities/direct-run-end.ts), when a scenario is activated
 * again, and by maintenance for payloads left behind (a process that ended before it delivered).
 *
 * Exactly once, from any number of processes at once: a payload's run has the id its queue entry
 * fixed (`run-<executionId>`) and is never started twice (REJECT_DUPLICATE); the entry is marked
 * only once its run exists, so a crash in between leaves it to be delivered again.
 *
 * At most `maxConcurrentRuns` runs of the scenario at once (the deployment's bound): a run is
 * registered in the store (`run:` lease) before it is started, so every dispatcher counts it. The
 * bound is soft under races (two dispatchers that read the same count at the same moment mostly
 * pick the same payloads, whose runs then start once).
 */
import type { Client } from '@temporalio/client';
import { runWorkflowId, scenarioSettingsSchema } from '../domain';
import type { Store } from '../store';
import { signalWithStartCoordinator, type CoordinatorAddress } from './coordinator';
import { inQueuedTrace } from '../observability/trace-context';
import { startDirectRun } from './direct-runs';
import { createLeaseLiveness } from './lease-liveness';
import { webhooksQueuedSignal } from '../../workflows/scenario-coordinator-messages';

/** The deployment's default bound on parallel runs of one scenario. */
export const DEFAULT_MAX_CONCURRENT_RUNS = 10;
/** Batches one delivery starts at most (each up to the bound); run ends deliver the rest. */
const MAX_ROUNDS = 20;

export interface WebhookDispatchDeps {
  store: Store;
  client: Client;
  taskQueue: string;
  maxConcurrentRuns?: number;
}

export interface WebhookDelivery {
  /** Runs this call started (not counting runs it found started). */
  started: number;
  /** `direct`: runs started here; `coordinator`: a sequential scenario's coordinator was woken; `inactive`: they wait. */
  via: 'direct' | 'coordinator' | 'inactive';
}

interface DeliveryWaiter {
  resolve: (delivery: WebhookDelivery) => void;
  reject: (err: unknown) => void;
}

export function createWebhookDispatch(deps: WebhookDispatchDeps) {
  const { store, client, taskQueue } = deps;
  const bound = deps.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS;
  const { liveLeases, isRunning } = createLeaseLiveness({ store, client });

  /** Per scenario: whether a delivery round runs, and the callers the next round serves. */
  const lanes = new Map<number, { running: boolean; waiting: DeliveryWaiter[] }>();

  /**
   * Delivers the scenario's waiting payloads. Concurrent calls in this process coalesce (runs that
   * end together deliver once, not once each): a call while a round runs is served by the next
   * round, which starts after it; every caller returns once a round that started after its call
   * has finished (or fails with that round's error).
   */
  function deliverWebhooks(address: CoordinatorAddress): Promise<WebhookDelivery> {
    return new Promise<WebhookDelivery>((resolve, reject) => {
      let lane = lanes.get(address.scenarioId);
      if (!lane) {
        lane = { running: false, waiting: [] };
        lanes.set(address.scenarioId, lane);
      }
      lane.waiting.push({ resolve, reject });
      if (!lane.running) void runRounds(address, lane);
    });
  }

  async function runRounds(address: CoordinatorAddress, lane: { running: boolean; waiting: DeliveryWaiter[] }) {
    lane.running = true;
    while (lane.waiting.length > 0) {
      const served = lane.waiting.splice(0);
      try {
        const delivery = await deliverOnce(address);
        for (const waiter of served) waiter.resolve(delivery);
      } catch (err) {
        for (const waiter of served) waiter.reject(err);
      }
    }
    lane.running = false;
    lanes.delete(address.scenarioId);
  }

  async function deliverOnce(address: CoordinatorAddress): Promise<WebhookDelivery> {
    const { orgId, scenarioId } = address;
    let started = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const waiting = await store.webhooks.readWaiting(scenarioId, bound);
      if (waiting.length === 0) break;
      const scenario = await store.scenarios.get(orgId, scenarioId);
      // An inactive scenario's payloads wait: its activation delivers them.
      if (!scenario?.isActive) return { started, via: 'inactive' };
      const settings = scenarioSettingsSchema.parse(scenario.blueprint.metadata?.scenario ?? {});
      if (settings.sequential) {
        await signalWithStartCoordinator(client, taskQueue, address, webhooksQueuedSignal, {
          seq: (waiting[0] as { seq: number }).seq,
        });
        return { started, via: 'coordinator' };
      }
      let running = await store.leases.list(scenarioId, 'run');
      // Full: take back places whose run is gone (terminated without its end) before waiting.
      if (running.length >= bound) running = await liveLeases(scenarioId, 'run');
      const registered = new Set(running.map((lease) => lease.requestId));
      let free = bound - running.length;
      // A payload whose run is registered already (by another dispatcher, or one that crashed) goes again.
      const batch = waiting.filter((entry) => registered.has(entry.executionId) || free-- > 0);
      if (batch.length === 0) break; // every place taken: the next run's end delivers more
      await Promise.all(
        batch.map(async (entry) => {
          // Registered before the start: concurrent dispatchers count it, and no attempt slips in.
          const wrote = await store.leases.registerRun(scenarioId, entry.executionId);
          // A start that fails (Temporal unreachable) leaves the lease: another dispatcher may have
          // started the run meanwhile, and taking it away would let attempts in. An orphan is taken
          // back by the liveness check (LEASE_CHECK_MS), and the entry, still waiting, goes again.
          // The run joins the trace of the request that queued its payload (tracing on).
          const outcome = await inQueuedTrace(entry.traceparent, () =>
            startDirectRun(client, taskQueue, {
              orgId,
              scenario,
              executionId: entry.executionId,
              trigger: 'webhook',
              ...(entry.data === undefined ? {} : { data: JSON.parse(entry.data) as unknown }),
            }),
          );
          if (outcome === 'started') started++;
          else if (wrote && !(await isRunning(runWorkflowId(entry.executionId), false))) {
            // Its run had ended already (a late second delivery): the lease written here has no holder.
            await store.leases.unregisterRun(scenarioId, entry.executionId);
          }
        }),
      );
      await store.webhooks.markStarted(
        scenarioId,
        batch.map((entry) => entry.seq),
      );
      if (batch.length < waiting.length) break;
    }
    return { started, via: 'direct' };
  }

  return { deliverWebhooks };
}

export type WebhookDispatch = ReturnType<typeof createWebhookDispatch>;
