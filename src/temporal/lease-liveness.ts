/**
 * Whether the holders of a scenario's leases (src/store/scenario-leases.ts) are still there: a
 * lease whose workflow terminated or was reset without giving it back is taken back by whoever
 * finds it in the way. A lease younger than LEASE_CHECK_MS is trusted; an older one is checked in
 * Temporal, at most once per LEASE_CHECK_MS. Shared by the lease activities and webhook dispatch.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ieWorkflowId, runWorkflowId } from '../domain';
import type { ScenarioLeaseDocument, Store } from '../store';

/** A lease younger than this is trusted without asking Temporal. */
export const LEASE_CHECK_MS = 60_000;

export function createLeaseLiveness(deps: { store: Store; client: Client }) {
  const { client } = deps;
  const leases = deps.store.leases;

  /** Whether the workflow runs; a workflow not started yet (`notFoundMeansRunning`) counts as running. */
  async function isRunning(workflowId: string, notFoundMeansRunning: boolean): Promise<boolean> {
    try {
      return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return notFoundMeansRunning;
      throw err;
    }
  }

  /** Is the lease's holder still there? Old leases are checked in Temporal, once per LEASE_CHECK_MS. */
  async function holderAlive(lease: ScenarioLeaseDocument, now: Date): Promise<boolean> {
    const checked = (lease.checkedAt ?? lease.since).getTime();
    if (now.getTime() - checked < LEASE_CHECK_MS) return true;
    let alive: boolean;
    if (lease.kind === 'run') {
      alive = await isRunning(runWorkflowId(lease.requestId), false);
    } else {
      // An IE's attempt ends before its workflow does; a granted attempt's run may not exist yet.
      alive =
        (await isRunning(ieWorkflowId(lease.ieId ?? ''), false)) &&
        (await isRunning(runWorkflowId(lease.requestId), true));
    }
    if (alive) await leases.markChecked(lease, now);
    else await leases.drop(lease);
    return alive;
  }

  async function liveLeases(scenarioId: number, kind: 'attempt' | 'run'): Promise<ScenarioLeaseDocument[]> {
    const now = new Date();
    const live: ScenarioLeaseDocument[] = [];
    for (const lease of await leases.list(scenarioId, kind)) if (await holderAlive(lease, now)) live.push(lease);
    return live;
  }

  return { isRunning, liveLeases };
}
