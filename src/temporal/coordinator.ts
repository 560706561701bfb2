/**
 * Talking to a scenario's coordinator (`coordinator-<taskQueue>-<scenarioId>`) and keeping its Temporal
 * Schedule (`imex-scenario-<taskQueue>-<scenarioId>`) in line with the scenario: shared by the client (runs
 * on demand, webhooks, API changes) and the activities (IE attempts, schedule occurrences,
 * deactivation).
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
  type Workflow,
} from '@temporalio/client';
import {
  coordinatorWorkflowId,
  isScheduled,
  scenarioScheduleId,
  schedulingSpecOf,
  type CoordinatorInput,
  type Scheduling,
} from '../domain';
import type { SignalDefinition } from '@temporalio/common';
import type { ScenarioScheduleTickInput } from '../../workflows/scenario-schedule-tick';

export interface CoordinatorAddress {
  orgId: number;
  scenarioId: number;
}

/** Signals the coordinator, starting it first when it is not running. */
export async function signalWithStartCoordinator<Arg>(
  client: Client,
  taskQueue: string,
  address: CoordinatorAddress,
  signal: SignalDefinition<[Arg]>,
  arg: Arg,
): Promise<void> {
  const input: CoordinatorInput = { orgId: address.orgId, scenarioId: address.scenarioId };
  await client.workflow.signalWithStart<(input: CoordinatorInput) => Promise<void>, [Arg]>('scenarioCoordinator', {
    taskQueue,
    workflowId: coordinatorWorkflowId(taskQueue, address.scenarioId),
    args: [input],
    signal,
    signalArgs: [arg],
    staticSummary: `Coordinator of scenario #${address.scenarioId}: its runs, sequential processing, attempt slots`,
  });
}

/** Signals the coordinator if it runs; a scenario without one has nothing to be told. */
export async function signalCoordinatorIfRunning<Arg>(
  client: Client,
  taskQueue: string,
  scenarioId: number,
  signal: SignalDefinition<[Arg]>,
  arg: Arg,
): Promise<boolean> {
  try {
    await client.workflow.getHandle(coordinatorWorkflowId(taskQueue, scenarioId)).signal(signal, arg);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /already completed|not found/i.test(String(err))) return false;
    throw err;
  }
}

function specOf(scheduling: Scheduling): ScheduleSpec {
  const result = schedulingSpecOf(scheduling);
  // The scheduling was checked by its schema when it was stored; this is a stored one gone bad.
  if (!result.ok) throw new Error(`scheduling ${scheduling.type}: ${result.path}: ${result.message}`);
  if (!result.spec) throw new Error(`scheduling ${scheduling.type} has no schedule`);
  return result.spec;
}

/**
 * Makes the scenario's Schedule match it: created or updated when it is scheduled (paused while
 * inactive), deleted when it is not. Idempotent; safe from any process.
 */
export async function syncScenarioSchedule(
  client: Client,
  taskQueue: string,
  scenario: {
    id: number;
    orgId: number;
    name: string;
    isActive: boolean;
    scheduling?: Scheduling;
    deactivationReason?: string;
  },
): Promise<'scheduled' | 'paused' | 'none'> {
  const scheduleId = scenarioScheduleId(taskQueue, scenario.id);
  const handle = client.schedule.getHandle(scheduleId);
  if (!scenario.scheduling || !isScheduled(scenario.scheduling)) {
    try {
      await handle.delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
    return 'none';
  }
  const spec = specOf(scenario.scheduling);
  const tick: ScenarioScheduleTickInput = { orgId: scenario.orgId, scenarioId: scenario.id };
  const action: ScheduleOptionsStartWorkflowAction<Workflow> = {
    type: 'startWorkflow',
    workflowType: 'scenarioScheduleTick',
    workflowId: `${scheduleId}-tick`,
    taskQueue,
    args: [tick],
    staticSummary: `Occurrence of scenario "${scenario.name}" (#${scenario.id})`,
  };
  // Occurrences are handed to the coordinator, which keeps at most one waiting: skip overlaps.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' as const };
  const paused = !scenario.isActive;
  const note = paused
    ? `paused by imex: the scenario is inactive${scenario.deactivationReason ? ` (${scenario.deactivationReason})` : ''}`
    : 'running: the scenario is active';
  try {
    await client.schedule.create({ scheduleId, spec, action, policies, state: { paused, note } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await handle.update((previous) => ({
      ...previous,
      spec,
      action,
      policies: { ...previous.policies, ...policies },
      state: { paused, note },
    }));
  }
  return paused ? 'paused' : 'scheduled';
}

/** Pauses the scenario's Schedule, if it has one. */
export async function pauseScenarioSchedule(
  client: Client,
  taskQueue: string,
  scenarioId: number,
  note: string,
): Promise<void> {
  try {
    await client.schedule.getHandle(scenarioScheduleId(taskQueue, scenarioId)).pause(note);
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}
