/**
 * Per-scenario coordination (Make reference §1.3, §1.6, §3.2): what the `scenarioCoordinator`
 * workflow takes, carries across continue-as-new and answers, the scenario's `scheduling`, and
 * the ids of the coordinator and of the scenario's Temporal Schedule.
 *
 * One coordinator per sequential scenario (`coordinator-<taskQueue>-<scenarioId>`) starts its
 * runs (every run of a scenario that is not sequential starts directly, and its end counts
 * consecutive errors in the store):
 * - sequential processing: while an IE is open, scheduled and webhook runs wait, in order; with
 *   an order key (src/domain/order-key.ts) a webhook payload waits only on open IEs of its key;
 * - at most 3 IE attempts at once, none while a run is in progress: store leases
 *   (activities/scenario-leases.ts); IE workflows from before asked the coordinator;
 * - consecutive errors (`maxErrors`) deactivate the scenario; a webhook run deactivates it on
 *   its first error.
 */
import type { z } from 'zod';
import type { Blueprint } from './blueprint';
import type { ErrorCategory } from './errors';
import type { RerunOf } from './run';
import type { ExecutionStatus } from './statuses';
import type { schedulingSchema } from './schemas/coordination';

/**
 * Scenario ids are unique within one store, and one imex deployment (one store) serves one task
 * queue; the task queue in the id keeps two deployments that share a namespace apart.
 */
export function coordinatorWorkflowId(taskQueue: string, scenarioId: number): string {
  return `coordinator-${taskQueue}-${scenarioId}`;
}

/** The scenario's Temporal Schedule (one per scenario and deployment). */
export function scenarioScheduleId(taskQueue: string, scenarioId: number): string {
  return `imex-scenario-${taskQueue}-${scenarioId}`;
}

export const WEBHOOK_TRIGGER_MODULE = 'gateway:CustomWebHook';

/** Make: a scenario whose trigger is instant (a webhook). */
export function hasWebhookTrigger(blueprint: Blueprint): boolean {
  return blueprint.flow[0]?.module === WEBHOOK_TRIGGER_MODULE;
}

export const WEBHOOK_RESPOND_MODULE = 'gateway:WebhookRespond';

/** Whether a webhook's caller may get an answer the scenario sets (a `gateway:WebhookRespond` anywhere). */
export function respondsToWebhook(flow: Blueprint['flow']): boolean {
  return flow.some(
    (module) =>
      module.module === WEBHOOK_RESPOND_MODULE ||
      respondsToWebhook(module.onerror ?? []) ||
      (module.routes ?? []).some((route) => respondsToWebhook(route.flow)),
  );
}

/** Make: at most 3 incomplete-execution attempts run in parallel per scenario (§3.2). */
export const MAX_PARALLEL_ATTEMPTS = 3;

export type Scheduling = z.output<typeof schedulingSchema>;

/** Whether this scheduling runs the scenario on a Temporal Schedule. */
export function isScheduled(scheduling: Scheduling | undefined): boolean {
  return scheduling !== undefined && scheduling.type !== 'immediately' && scheduling.type !== 'on-demand';
}

/**
 * Make §1.6: how many automatic runs in a row may end with an error before the scenario is
 * deactivated (0: never). An instant-trigger (webhook) scenario is deactivated on a webhook run's
 * first error. Shared by the coordinator and by the end of a run started without it.
 */
export function errorsBeforeDeactivation(
  trigger: 'schedule' | 'webhook',
  scenario: { maxErrors: number; webhookTrigger: boolean },
): { threshold: number; webhookRule: boolean } {
  const webhookRule = trigger === 'webhook' && scenario.webhookTrigger;
  return { threshold: webhookRule ? 1 : scenario.maxErrors, webhookRule };
}

/**
 * Make (imt-proto's error classes, reference §2.1 and §1.6): these errors disable the scenario at
 * once, whatever `maxErrors` says, when an automatic run ends with one (status error; a run that
 * parked its bundle as an IE ends with warning and counts for nothing). Runs on demand are excepted.
 */
export const deactivatingErrorCategories: readonly ErrorCategory[] = [
  'InvalidConfigurationError',
  'InvalidAccessTokenError',
  'UnexpectedError',
  'MaxResultsExceededError',
  'MaxFileSizeExceededError',
  'InconsistencyError',
];

export function deactivatesAtOnce(errorType: string | undefined): boolean {
  return errorType !== undefined && (deactivatingErrorCategories as readonly string[]).includes(errorType);
}

/** Why a run's error deactivated the scenario at once, as its `deactivationReason` says it. */
export function deactivatingErrorReason(error: { type: string; message: string }, executionId: string): string {
  return `a run ended with ${error.type}, which deactivates a scenario at once (${error.type}: ${error.message}; execution ${executionId})`;
}

/** Why the scenario was deactivated, as its `deactivationReason` says it. */
export function consecutiveErrorsReason(input: {
  webhookRule: boolean;
  count: number;
  threshold: number;
  error?: { type: string; message: string };
  executionId: string;
}): string {
  const cause = input.error ? `${input.error.type}: ${input.error.message}` : 'unknown error';
  return input.webhookRule
    ? `a webhook run ended with an error, and a scenario with an instant trigger is deactivated on its first error (${cause}; execution ${input.executionId})`
    : `${input.count} consecutive runs ended with an error (maxErrors ${input.threshold}; last: ${cause}; execution ${input.executionId})`;
}

/** The series of reruns of a scenario after a transient error (one at a time per scenario and deployment). */
export function rerunsWorkflowId(taskQueue: string, scenarioId: number): string {
  return `reruns-${taskQueue}-${scenarioId}`;
}

/** Why the scenario was deactivated after its reruns all failed (Make's exponential backoff, §2.5). */
export function rerunsExhaustedReason(input: {
  reruns: number;
  error?: { type: string; message: string };
  executionId: string;
}): string {
  const cause = input.error ? `${input.error.type}: ${input.error.message}` : 'unknown error';
  return `a scheduled run and its ${input.reruns} reruns ended with an error (last: ${cause}; execution ${input.executionId})`;
}

// --- the coordinator's messages ---

export type CoordinatedTrigger = 'manual' | 'schedule';

/** A run asked for by signal (on demand, or a schedule's occurrence); webhook payloads wait in MongoDB. */
export interface RunRequest {
  executionId: string;
  trigger: CoordinatedTrigger;
  /** The trigger's input data: inline when small, else a blob reference. */
  data?: unknown;
  /** ISO time it arrived: runs start in arrival order. */
  receivedAt: string;
  /** A run on demand's `callbackUrl` (ScenarioRunInput). */
  callbackUrl?: string;
  /** A rerun after a transient error (ScenarioRunInput). */
  rerun?: RerunOf;
}

export interface AttemptSlotRequest {
  ieId: string;
  /** The attempt's execution id: one lease per attempt. */
  requestId: string;
}

export interface AttemptSlotRelease extends AttemptSlotRequest {
  /** The IE resolved with this attempt: sequential scenarios may go on. */
  ieClosed?: boolean;
}

export interface AttemptSlotHolder extends AttemptSlotRequest {
  grantedAt: string;
}

/** What the coordinator carries across continue-as-new (never a queued webhook payload). */
export interface CoordinatorCarry {
  /** The last webhook-queue sequence number handed to a run. */
  webhookCursor: number;
  /** Run requests (on demand, schedule) not started yet. */
  pending: RunRequest[];
  waitingAttempts: AttemptSlotRequest[];
  attemptHolders: AttemptSlotHolder[];
  /** Consecutive automatic runs ending with status error, since the scenario was (re)activated. */
  consecutiveErrors: number;
  /** The activation the count belongs to (the scenario's `activatedAt`). */
  activation: string | null;
  /** Payloads picked by order key whose runs started, not yet marked in the queue (their seqs). */
  startedWebhooks?: number[];
}

export interface CoordinatorInput {
  orgId: number;
  scenarioId: number;
  carry?: CoordinatorCarry;
  /** History events before continuing as new (default 2,000; tests use less). */
  historyLimit?: number;
  /** How often attempt leases are checked while held (default 2 minutes). */
  leaseCheckMs?: number;
  /** How often a scenario waiting on incomplete executions re-counts them (default 1 minute). */
  openIeRecheckMs?: number;
}

/** The scenario as the coordinator needs it, read by `prepareRuns`. */
export interface CoordinatedScenario {
  found: boolean;
  name: string;
  isActive: boolean;
  deactivationReason?: string;
  /** When it was last activated (ISO); consecutive errors count from there. */
  activatedAt: string | null;
  /** The scenario's `updatedAt`: the blueprint is sent only when it changed. */
  version: string;
  blueprint?: Blueprint;
  sequential: boolean;
  maxErrors: number;
  webhookTrigger: boolean;
}

export interface QueuedWebhook {
  seq: number;
  /** Derived from the queue entry, so a run is started once per payload (REJECT_DUPLICATE). */
  executionId: string;
  data?: unknown;
  receivedAt: string;
  /** The accepting request's trace (W3C `traceparent`), when tracing was on. */
  traceparent?: string;
  /** Its order key, hashed (the scenario orders by key): the run's IE records it. */
  orderKey?: string;
}

export interface PrepareRunsInput {
  orgId: number;
  scenarioId: number;
  /** The blueprint version the coordinator has; the blueprint comes back only when it changed. */
  knownVersion?: string;
  /** Webhook payloads after this sequence number, at most `webhookLimit` (0: none). */
  webhookAfter: number;
  webhookLimit: number;
  /** Queue entries up to here have their runs: marked consumed (their payloads removed). */
  consumedThrough: number;
  /**
   * The coordinator can take payloads out of order (ordering per key): for a scenario with an
   * order key, payloads whose key no open IE holds may come back past held ones (`byOrderKey`).
   */
  byOrderKey?: boolean;
  /** These entries (picked by order key) have their runs: marked one by one. */
  startedSeqs?: number[];
}

export interface PrepareRunsOutput {
  scenario: CoordinatedScenario;
  /**
   * Whether the scenario has open (not resolved, not deleted) incomplete executions: 1 or 0 (a
   * count in histories recorded before), for sequential scenarios only.
   */
  openIncompleteExecutions: number;
  webhooks: QueuedWebhook[];
  /**
   * The webhooks were picked by order key past payloads held by open IEs: the coordinator does
   * not move its cursor over them but marks each (`startedSeqs`). Runs that are not webhooks
   * (schedule) still wait on any open IE.
   */
  byOrderKey?: boolean;
  /** The deployment's bound on parallel runs of one scenario (sequential scenarios run one at a time). */
  maxConcurrentRuns: number;
}

/** A finished run as the coordinator counts it. */
export interface CoordinatedRunOutcome {
  executionId: string;
  trigger: CoordinatedTrigger | 'webhook';
  status: ExecutionStatus;
  error?: { type: ErrorCategory | string; message: string; moduleId?: number };
  parked: number;
}

/** The coordinator's `state` query. */
export interface CoordinatorView {
  scenarioId: number;
  running: { executionId: string; trigger: string }[];
  pendingRuns: number;
  webhookCursor: number;
  waitingAttempts: string[];
  attemptHolders: string[];
  blocked: 'inactive' | 'incomplete-executions' | null;
  consecutiveErrors: number;
  /** Every run it started since it began (this run of the workflow). */
  started: number;
}
