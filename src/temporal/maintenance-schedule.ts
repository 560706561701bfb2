/**
 * The Temporal Schedule that runs the `maintenance` workflow (purge and reconcile), every 5 minutes
 * by default. A Schedule rather than a long-running workflow: it survives deployments without
 * versioning, skips a run while the previous one is still going, and an operator can pause or
 * trigger it from the Temporal Web UI or `temporal schedule trigger --schedule-id imex-maintenance`.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type Workflow,
} from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { MaintenanceInput } from '../../workflows/maintenance';

export const MAINTENANCE_SCHEDULE_ID = 'imex-maintenance';

export interface MaintenanceScheduleOptions {
  taskQueue: string;
  /** How often maintenance runs (default every 5 minutes: drift and stuck IEs are found soon). */
  interval?: Duration;
  /** The workflow's input: retention (`purgeAfterMs`, e.g. from IMEX_PURGE_AFTER_DAYS) and limits. */
  input?: MaintenanceInput;
  /** Default `imex-maintenance` (one per namespace; tests use their own). */
  scheduleId?: string;
}

/**
 * Creates the maintenance schedule, or brings an existing one up to date with these options
 * (interval, task queue, input). Safe to call on every start, from any number of processes.
 */
export async function ensureMaintenanceSchedule(
  client: Client,
  options: MaintenanceScheduleOptions,
): Promise<{ scheduleId: string; created: boolean }> {
  const scheduleId = options.scheduleId ?? MAINTENANCE_SCHEDULE_ID;
  const spec = { intervals: [{ every: options.interval ?? '5 minutes' }] };
  const action: ScheduleOptionsStartWorkflowAction<Workflow> = {
    type: 'startWorkflow',
    workflowType: 'maintenance',
    workflowId: scheduleId,
    taskQueue: options.taskQueue,
    args: [options.input ?? {}],
    staticSummary: 'imex maintenance: purge resolved incomplete executions, reconcile quota and workflows',
  };
  // Skip a run while the previous one is going; after downtime, catch up once rather than many times.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '10 minutes' as Duration };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies,
      state: { note: 'created by imex (ensureMaintenanceSchedule)' },
    });
    return { scheduleId, created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  // It exists (another process, an earlier start): make it match this deployment's settings,
  // keeping whether an operator paused it.
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...previous,
    spec,
    action,
    policies: { ...previous.policies, ...policies },
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
  return { scheduleId, created: false };
}
