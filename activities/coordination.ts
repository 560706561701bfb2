/**
 * Activities of per-scenario coordination: what the coordinator reads before starting runs
 * (the scenario, its open IEs, the next webhook payloads), deactivation after consecutive errors,
 * lease checks, and the signals IE workflows and schedule occurrences send the coordinator
 * (signal-with-start from an activity: a workflow cannot start another by signalling it).
 */
import crypto from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  hasWebhookTrigger,
  orderKeyTemplate,
  scenarioSettingsSchema,
  type AttemptSlotRelease,
  type AttemptSlotRequest,
  type CoordinatedScenario,
  type PrepareRunsInput,
  type PrepareRunsOutput,
  type QueuedWebhook,
  type RerunOf,
} from '../src/domain';
import type { QueuedPayload, Store } from '../src/store';
import {
  pauseScenarioSchedule,
  signalCoordinatorIfRunning,
  signalWithStartCoordinator,
} from '../src/temporal/coordinator';
import { startDirectRun } from '../src/temporal/direct-runs';
import { startScenarioReruns } from '../src/temporal/scenario-reruns';
import { DEFAULT_MAX_CONCURRENT_RUNS } from '../src/temporal/webhook-dispatch';
import { deactivateScenario as deactivate } from '../src/temporal/scenario-deactivation';
import {
  attemptSlotReleasedSignal,
  attemptSlotRequestedSignal,
  incompleteExecutionClosedSignal,
  runRequestedSignal,
} from '../workflows/scenario-coordinator-messages';
import type { ScenarioRerunsInput } from '../workflows/scenario-reruns';

/** A rerun the series asks for: its place in the series, its execution id, the activation it belongs to. */
export interface RerunRequest extends RerunOf {
  executionId: string;
  /** Unknown for the first rerun: the answer says it, and later reruns carry it. */
  activation?: string | null;
}

/** The deployment's bounds on coordination. */
export interface CoordinationSettings {
  /** Parallel runs of one (non-sequential) scenario; default 10. */
  maxConcurrentRuns?: number;
  /** The deployment's run-duration limit (ms; Make's 40 minutes by default, 0: none). */
  runLimitMs?: number;
}

export interface CoordinationDeps {
  store: Store;
  client: Client;
  taskQueue: string;
  settings?: CoordinationSettings;
}

interface ScenarioAddress {
  orgId: number;
  scenarioId: number;
}

export function createCoordinationActivities(deps: CoordinationDeps) {
  const { store, client, taskQueue } = deps;
  const maxConcurrentRuns = deps.settings?.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS;

  async function prepareRuns(input: PrepareRunsInput): Promise<PrepareRunsOutput> {
    await store.webhooks.markConsumedThrough(input.scenarioId, input.consumedThrough);
    if (input.startedSeqs?.length) await store.webhooks.markStarted(input.scenarioId, input.startedSeqs);
    const found = await store.scenarios.get(input.orgId, input.scenarioId);
    if (!found) {
      const missing: CoordinatedScenario = {
        found: false,
        name: '',
        isActive: false,
        deactivationReason: 'the scenario does not exist',
        activatedAt: null,
        version: '',
        sequential: false,
        maxErrors: 0,
        webhookTrigger: false,
      };
      return { scenario: missing, openIncompleteExecutions: 0, webhooks: [], maxConcurrentRuns };
    }
    const settings = scenarioSettingsSchema.parse(found.blueprint.metadata?.scenario ?? {});
    const version = found.updatedAt.toISOString();
    const scenario: CoordinatedScenario = {
      found: true,
      name: found.name,
      isActive: found.isActive,
      ...(found.deactivationReason ? { deactivationReason: found.deactivationReason } : {}),
      activatedAt: found.activatedAt?.toISOString() ?? null,
      version,
      ...(input.knownVersion === version ? {} : { blueprint: found.blueprint }),
      sequential: settings.sequential,
      maxErrors: settings.maxErrors,
      webhookTrigger: hasWebhookTrigger(found.blueprint),
    };
    // Make §1.3: only a sequential scenario waits on its incomplete executions; with an order key
    // (and a coordinator that knows it) a payload waits only on open IEs of its key.
    if (input.byOrderKey && orderKeyTemplate(found.blueprint) !== undefined) {
      const open = await store.incompleteExecutions.openOrderKeys(input.orgId, input.scenarioId);
      if (open.open > 0 && open.unkeyed === 0) {
        const entries = found.isActive
          ? await store.webhooks.readWaitingExceptKeys(input.scenarioId, open.keys, input.webhookLimit)
          : [];
        return {
          scenario,
          openIncompleteExecutions: open.open,
          webhooks: entries.map(queuedWebhook),
          byOrderKey: true,
          maxConcurrentRuns,
        };
      }
    }
    // Only whether any is open (1 or 0): the coordinator waits on any, and a count reads every one.
    const open =
      settings.sequential && (await store.incompleteExecutions.hasOpen(input.orgId, input.scenarioId)) ? 1 : 0;
    const entries =
      found.isActive && open === 0
        ? await store.webhooks.readAfter(input.scenarioId, input.webhookAfter, input.webhookLimit)
        : [];
    return { scenario, openIncompleteExecutions: open, webhooks: entries.map(queuedWebhook), maxConcurrentRuns };
  }

  /** The payloads through `through` have their runs: marked consumed (what prepareRuns does first, alone). */
  async function markWebhooksConsumed(input: { scenarioId: number; through: number }): Promise<void> {
    await store.webhooks.markConsumedThrough(input.scenarioId, input.through);
  }

  /** Deactivates the scenario (and pauses its schedule), unless it was reactivated since `activation`. */
  async function deactivateScenario(input: ScenarioAddress & { reason: string; activation: string | null }) {
    return deactivate({ store, client, taskQueue }, input);
  }

  /** Of these workflows, the ones that are not running (closed, or never existed). */
  async function closedWorkflows(input: { workflowIds: string[] }): Promise<string[]> {
    const closed: string[] = [];
    for (const workflowId of input.workflowIds) {
      try {
        const description = await client.workflow.getHandle(workflowId).describe();
        if (description.status.name !== 'RUNNING') closed.push(workflowId);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) closed.push(workflowId);
        else throw err;
      }
    }
    return closed;
  }

  /** The scenario's incomplete executions in the middle of an attempt, or waiting for its slot. */
  async function attemptsInProgress(input: ScenarioAddress): Promise<string[]> {
    return store.incompleteExecutions.inProgressIds(input.orgId, input.scenarioId);
  }

  async function requestAttemptSlot(input: ScenarioAddress & AttemptSlotRequest): Promise<void> {
    await signalWithStartCoordinator(client, taskQueue, input, attemptSlotRequestedSignal, {
      ieId: input.ieId,
      requestId: input.requestId,
    });
  }

  async function releaseAttemptSlot(input: ScenarioAddress & AttemptSlotRelease): Promise<void> {
    await signalCoordinatorIfRunning(client, taskQueue, input.scenarioId, attemptSlotReleasedSignal, {
      ieId: input.ieId,
      requestId: input.requestId,
      ...(input.ieClosed ? { ieClosed: true } : {}),
    });
  }

  async function notifyIncompleteExecutionClosed(input: ScenarioAddress & { ieId: string }): Promise<void> {
    await signalCoordinatorIfRunning(client, taskQueue, input.scenarioId, incompleteExecutionClosedSignal, {
      ieId: input.ieId,
    });
  }

  /**
   * A schedule's occurrence: a scenario that is not sequential has its run started directly (its
   * end counts consecutive errors in the store); a sequential one hands it to its coordinator. An
   * inactive scenario drops it (and its schedule is paused).
   *
   * A rerun after a transient error (Make's exponential backoff, workflows/scenario-reruns.ts)
   * comes the same way with its own execution id; it is dropped when the scenario is inactive or
   * was activated again since the series began (the series belongs to that activation).
   */
  async function requestScheduledRun(
    input: ScenarioAddress & { rerun?: RerunRequest },
  ): Promise<{ requested: boolean; activation?: string | null }> {
    const scenario = await store.scenarios.get(input.orgId, input.scenarioId);
    const activation = scenario?.activatedAt?.toISOString() ?? null;
    const { rerun } = input;
    if (rerun && (!scenario?.isActive || (rerun.activation !== undefined && rerun.activation !== activation))) {
      return { requested: false };
    }
    if (!scenario?.isActive) {
      const why = scenario ? (scenario.deactivationReason ?? 'stopped') : 'the scenario does not exist';
      // The same note as deactivateScenario's: a tick that crosses the deactivation must not hide why.
      const note = scenario?.deactivationReason
        ? `paused by imex: the scenario was deactivated: ${scenario.deactivationReason}`
        : `paused by imex: the scenario is inactive (${why})`;
      await pauseScenarioSchedule(client, taskQueue, input.scenarioId, note);
      return { requested: false };
    }
    // One occurrence, one run, however often this activity is retried: the tick's run id names it.
    const runId = Context.current().info.workflowExecution?.runId ?? crypto.randomUUID();
    const executionId = rerun?.executionId ?? runId.replace(/-/g, '').toLowerCase();
    const rerunOf = rerun ? { rerun: { seriesId: rerun.seriesId, number: rerun.number } } : {};
    if (!scenarioSettingsSchema.parse(scenario.blueprint.metadata?.scenario ?? {}).sequential) {
      await startDirectRun(client, taskQueue, {
        orgId: input.orgId,
        scenario,
        executionId,
        trigger: 'schedule',
        ...rerunOf,
      });
      return { requested: true, activation };
    }
    await signalWithStartCoordinator(client, taskQueue, input, runRequestedSignal, {
      executionId,
      trigger: 'schedule',
      receivedAt: new Date().toISOString(),
      ...rerunOf,
    });
    return { requested: true, activation };
  }

  /** A scheduled run's transient error: the scenario's series of reruns starts, unless one is under way. */
  async function startReruns(input: ScenarioRerunsInput): Promise<'started' | 'under-way'> {
    return startScenarioReruns(client, taskQueue, input);
  }

  return {
    startReruns,
    prepareRuns,
    markWebhooksConsumed,
    deactivateScenario,
    closedWorkflows,
    attemptsInProgress,
    requestAttemptSlot,
    releaseAttemptSlot,
    notifyIncompleteExecutionClosed,
    requestScheduledRun,
  };
}

/** A queue entry as the coordinator gets it. */
function queuedWebhook(entry: QueuedPayload): QueuedWebhook {
  return {
    seq: entry.seq,
    executionId: entry.executionId,
    receivedAt: entry.receivedAt.toISOString(),
    ...(entry.data === undefined ? {} : { data: JSON.parse(entry.data) as unknown }),
    ...(entry.traceparent === undefined ? {} : { traceparent: entry.traceparent }),
    ...(entry.orderKey === undefined ? {} : { orderKey: entry.orderKey }),
  };
}
