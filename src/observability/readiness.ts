/**
 * Readiness: the dependencies a process needs to do its work, each checked with a short deadline so
 * `/health/ready` answers within seconds during an outage and names what is failing.
 */
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Store } from '../store';
import { pingStore } from '../store/operational-figures';

export interface ReadinessCheck {
  /** The dependency's name as `/health/ready` reports it: `store`, `temporal`, `worker`. */
  name: string;
  /** Resolves when ready; throws (or rejects) with the reason otherwise. */
  check(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: true } | { ok: false; error: string }>;
}

/** Each check gets this long before it counts as failing. */
export const READINESS_CHECK_TIMEOUT_MS = 3_000;

export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = READINESS_CHECK_TIMEOUT_MS,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([c.check(), timeout]);
        return [c.name, { ok: true }] as const;
      } catch (err) {
        return [c.name, { ok: false, error: err instanceof Error ? err.message : String(err) }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
}

export function storeReadiness(store: Store): ReadinessCheck {
  return { name: 'store', check: () => pingStore(store) };
}

/** The Temporal frontend answers (a cheap call, under a deadline of its own). */
export function temporalReadiness(client: Client, timeoutMs = READINESS_CHECK_TIMEOUT_MS): ReadinessCheck {
  return {
    name: 'temporal',
    check: async () => {
      await client.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
    },
  };
}

/** The worker of this process runs (it polls its task queue while RUNNING). */
export function workerReadiness(worker: Pick<Worker, 'getState'>): ReadinessCheck {
  return {
    name: 'worker',
    check: async () => {
      const state = worker.getState();
      if (state !== 'RUNNING') throw new Error(`the worker is ${state.toLowerCase()}, not polling`);
    },
  };
}
