/**
 * What a scenario run takes and gives back: shared by the `scenarioRun` workflow, the module
 * activity, the incomplete-executions code and the client. Bundles travel inline when small
 * and as references to the store (`{ $imexBlob, bytes }`) when large.
 */
import type { Blueprint } from './blueprint';
import type { ErrorCategory } from './errors';
import type { ExecutionStatus } from './statuses';

/** An output bundle, or a reference to one kept in the store. */
export type BundleOrRef = Record<string, unknown>;

/** Whether a bundle is a reference to the store (`{ $imexBlob, bytes }`): only activities can read it. */
export function isBundleRef(value: unknown): boolean {
  return (
    typeof value === 'object' && value !== null && typeof (value as { $imexBlob?: unknown }).$imexBlob === 'string'
  );
}

/** The bundles that can be mapped into a module, keyed by the id of the module that made them. */
export type BundleContext = Record<string, BundleOrRef>;

/**
 * Make's run-duration limit (reference §1.8: 40 min, 5 on the Free plan): a run still going past it
 * is interrupted and ends with the ExecutionInterruptedError warning (workflows/run-limit.ts).
 */
export const MAKE_RUN_LIMIT_MS = 40 * 60_000;

export type RunTrigger = 'manual' | 'webhook' | 'schedule' | 'attempt';

/** An attempt of an incomplete execution: start at `failer` with the stored bundles. */
export interface ResumeFrom {
  ieId: string;
  failer: number;
  /** The bundles of the modules before `failer`, keyed by module id. */
  context: BundleContext;
  /** The run that first failed and its bundle index: idempotency keys stay the same across attempts. */
  originalExecutionId: string;
  bundleIndex: number;
  /**
   * The attempt starts before the failed module (`failer` is then that earlier module: a retry
   * "from" it, src/domain/retry-plan.ts): every module, the first included, runs anew under the
   * attempt's own idempotency keys; none repeats the failed operation.
   */
  rerun?: boolean;
}

export interface ScenarioRunInput {
  orgId: number;
  scenarioId: number;
  scenarioName: string;
  executionId: string;
  blueprint: Blueprint;
  trigger: RunTrigger;
  /** The trigger's input data (inline or a reference). */
  data?: unknown;
  resume?: ResumeFrom;
  /**
   * W3C `traceparent` of the request that queued this run's webhook payload, when tracing was on:
   * the run joins that request's trace (workflows/interceptors/trace-context.ts).
   */
  traceparent?: string;
  /**
   * A scheduled or webhook run started without the scenario's coordinator (a scenario that is not
   * sequential): its end counts it towards consecutive errors in the store, and a webhook run's end
   * starts the payloads that wait for a free place (src/temporal/webhook-dispatch.ts).
   */
  direct?: DirectRunSettlement;
  /**
   * Make's `callbackUrl` of a run on demand: when the run ends, its outcome is POSTed there
   * (activities/run-callback.ts), durably: the run's workflow delivers it before it closes.
   */
  callbackUrl?: string;
  /** A webhook run's order key, hashed (its scenario orders by key): an IE it parks records it. */
  orderKey?: string;
  /** A rerun of the scenario after a transient error (Make's exponential backoff): its end tells its series. */
  rerun?: RerunOf;
}

/** Which series of reruns a run belongs to (workflows/scenario-reruns.ts). */
export interface RerunOf {
  /** The series' workflow id, which the run's end signals. */
  seriesId: string;
  /** 1 for the first rerun, up to the schedule's length. */
  number: number;
}

/** What a run's `callbackUrl` receives when it ends (Make's status codes: 1 success, 2 warning, 3 error). */
export interface RunCallbackBody {
  executionId: string;
  scenarioId: number;
  status: 1 | 2 | 3;
  error?: { type: string; message: string };
}

/** What the end of a run started without the coordinator needs. */
export interface DirectRunSettlement {
  /** The scenario's activation the run started in (`activatedAt`, ISO): errors count per activation. */
  activation: string | null;
}

export interface RunError {
  type: ErrorCategory;
  message: string;
  moduleId: number;
}

/** A bundle that failed at a module after the first, and what the policy table says about it. */
export interface FailedBundle {
  failer: number;
  /** The n-th operation (0-based) of the failed module in its run: part of the IE's id. */
  bundleIndex: number;
  context: BundleContext;
  error: RunError;
  outcome: 'park-auto-retry' | 'park-manual';
}

/** A bundle that was parked as an incomplete execution (or discarded under data loss). */
export interface ParkedBundle {
  failer: number;
  bundleIndex: number;
  ieId?: string;
  /** Why it was not stored (quota full with data loss enabled). */
  discarded?: string;
  error: RunError;
}

export interface ScenarioRunResult {
  executionId: string;
  status: ExecutionStatus;
  operations: number;
  /** The error that ended the run (status error), or that an attempt failed with. */
  error?: RunError;
  /** The bundles parked (or discarded), the first 500 of them when there are more. */
  parked: ParkedBundle[];
  /** How many bundles were parked, when `parked` lists only the first 500 (keeps the result a small payload). */
  parkedTotal?: number;
  /** Resume mode only: where the attempt failed, for the incomplete execution to take over. */
  failure?: FailedBundle;
  notes: string[];
}

/** One module operation in a run's log (the API's `/logs`). */
export interface ModuleLogEntry {
  moduleId: number;
  module: string;
  bundleIndex: number;
  startedAt: string;
  durationMs: number;
  status: 'success' | 'error';
  /** How many bundles it output. */
  outputCount?: number;
  /** The output bundles (inline or references); omitted when the scenario is confidential or the log is large. */
  output?: BundleOrRef[];
  errorType?: ErrorCategory;
  message?: string;
}

/** A failed bundle that was not stored as an IE ("enable data loss" with the storage full). */
export interface DiscardedBundle {
  moduleId: number;
  bundleIndex: number;
  reason: string;
}

/** A run as the executions store records it. */
export interface ExecutionRecordInput {
  executionId: string;
  orgId: number;
  scenarioId: number;
  status: ExecutionStatus;
  startedAt: string;
  endedAt: string;
  operations: number;
  trigger: RunTrigger;
  ieId?: string;
  error?: RunError;
  notes: string[];
  /** Failed bundles the run dropped under data loss: the scenario log shows them. */
  discarded?: DiscardedBundle[];
  log: ModuleLogEntry[];
}
