/**
 * `scenarioReruns`: Make's exponential backoff of the whole scenario (reference §2.5). A scheduled
 * run that ends with status error (nothing was stored as an IE: its first module failed, or storing
 * is off) because of a transient error (ConnectionError, RateLimitError, ModuleTimeoutError) starts
 * one series per scenario (`reruns-<taskQueue>-<scenarioId>`, src/temporal/scenario-reruns.ts): after each delay of the schedule
 * (`makeRerunSchedule`: 1 min, 2, 5, 10 min, 1 h, 3 h, 12 h, 24 h; `imex.rerunSchedule` per
 * scenario) the scenario runs again, as a new scheduled run (its trigger polls again), and the
 * run's end tells the series how it went. A rerun that does not end with such an error ends the
 * series; when the last one does, the scenario is deactivated (its schedule paused).
 *
 * As in Make, the scenario keeps its schedule meanwhile; the runs it starts are counted by
 * `maxErrors` as ever, except transient errors, which this series governs. A scheduled run that
 * fails while a series is under way starts none (one series at a time). Webhook runs are not
 * rerun (an instant-trigger scenario is deactivated on its first error, §1.6), nor runs on demand.
 *
 * Durable: the delays are workflow timers, and the series survives restarts of workers and server.
 */
import {
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  executionIdFromUuid,
  makeRerunSchedule,
  rerunsExhaustedReason,
  rerunsScenario,
  type ExecutionStatus,
  type ScenarioRunInput,
} from '../src/domain/plain';
import type { ImexActivities } from '../activities';

/**
 * Versioning: a scheduled run's transient error starts a series of reruns, and a rerun's end
 * tells its series; the coordinator leaves such errors to the series. Before it they counted
 * towards `maxErrors` like any other.
 */
export const SCENARIO_RERUNS_PATCH = 'imex-scenario-reruns';

/** A rerun ended: how, for the series to go on or stop. */
export interface RerunEnded {
  executionId: string;
  status: ExecutionStatus;
  error?: { type: string; message: string };
}

export const rerunEndedSignal = defineSignal<[RerunEnded]>('rerunEnded');

export interface ScenarioRerunsInput {
  orgId: number;
  scenarioId: number;
  /** The scheduled run whose error began the series. */
  executionId: string;
  error: { type: string; message: string };
  /** Delays before each rerun (ms); Make's by default. */
  schedule?: number[];
}

export interface ScenarioRerunsResult {
  reruns: number;
  outcome: 'recovered' | 'deactivated' | 'inactive' | 'other-error' | 'no-answer';
}

/** A rerun that never tells (terminated, or held back behind open IEs) ends the series after this. */
const RERUN_ANSWER_WITHIN_MS = 24 * 60 * 60_000;

const { requestScheduledRun, deactivateScenario, startReruns } = proxyActivities<ImexActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  // Idempotent (the rerun's execution id names it): keep trying through an outage.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export async function scenarioReruns(input: ScenarioRerunsInput): Promise<ScenarioRerunsResult> {
  const schedule = input.schedule ?? [...makeRerunSchedule];
  const seriesId = workflowInfo().workflowId;
  const ended = new Map<string, RerunEnded>();
  setHandler(rerunEndedSignal, (end) => void ended.set(end.executionId, end));

  let activation: string | null | undefined;
  let last: RerunEnded = { executionId: input.executionId, status: 'error', error: input.error };
  for (let number = 1; number <= schedule.length; number++) {
    await sleep(schedule[number - 1] as number);
    const executionId = executionIdFromUuid(uuid4());
    const requested = await requestScheduledRun({
      orgId: input.orgId,
      scenarioId: input.scenarioId,
      rerun: { seriesId, number, executionId, ...(activation === undefined ? {} : { activation }) },
    });
    if (!requested.requested) return { reruns: number - 1, outcome: 'inactive' };
    activation = requested.activation ?? null;
    if (!(await condition(() => ended.has(executionId), RERUN_ANSWER_WITHIN_MS))) {
      return { reruns: number, outcome: 'no-answer' };
    }
    last = ended.get(executionId) as RerunEnded;
    if (last.status !== 'error') return { reruns: number, outcome: 'recovered' };
    if (!rerunsScenario(last.error?.type)) return { reruns: number, outcome: 'other-error' }; // maxErrors counts it
  }
  await deactivateScenario({
    orgId: input.orgId,
    scenarioId: input.scenarioId,
    reason: rerunsExhaustedReason({
      reruns: schedule.length,
      ...(last.error ? { error: last.error } : {}),
      executionId: last.executionId,
    }),
    activation: activation ?? null,
  });
  return { reruns: schedule.length, outcome: 'deactivated' };
}

/**
 * The end of a scheduled run, from `scenarioRun`: a rerun tells its series how it went; a run
 * that ended with a transient error starts the scenario's series unless one is under way.
 */
export async function afterScheduledRun(
  input: ScenarioRunInput,
  outcome: { status: ExecutionStatus; error?: { type: string; message: string } },
): Promise<void> {
  if (input.trigger !== 'schedule') return;
  const error = outcome.error ? { type: outcome.error.type, message: outcome.error.message } : undefined;
  if (input.rerun) {
    if (!patched(SCENARIO_RERUNS_PATCH)) return;
    const end: RerunEnded = { executionId: input.executionId, status: outcome.status, ...(error ? { error } : {}) };
    // A series that has ended (deactivated, or its wait given up) has nobody to tell.
    await getExternalWorkflowHandle(input.rerun.seriesId)
      .signal(rerunEndedSignal, end)
      .catch(() => undefined);
    return;
  }
  if (outcome.status !== 'error' || !error || !rerunsScenario(error.type)) return;
  if (!patched(SCENARIO_RERUNS_PATCH)) return;
  const schedule = input.blueprint.metadata.scenario.imex?.rerunSchedule;
  // Started by an activity: the series' id names the task queue, which a replay must not read.
  await startReruns({
    orgId: input.orgId,
    scenarioId: input.scenarioId,
    executionId: input.executionId,
    error,
    ...(schedule ? { schedule: [...schedule] } : {}),
  });
}
