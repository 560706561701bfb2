/**
 * `scenarioRun`: one execution of a Make scenario. Every module operation is an activity; the
 * flow runs depth-first per bundle, in order, as Make's does: each bundle a module outputs goes
 * through the rest of the flow before the next one.
 *
 * Flow control, as Make's (src/domain/flow-control.ts):
 * - a **filter** on a module stops a bundle that fails it on that path: no error, no operation;
 * - a **router** sends each bundle through every route in order; a failure parks only that
 *   route's path and the other routes go on;
 * - a module with an **error-handler route** (`onerror`) never follows the default policy below:
 *   after its in-run retries, the route's modules run with the error mapped as the failed module's
 *   output (`{{<id>.error.message}}`), then the directive decides (error-handlers.ts);
 * - an **aggregator** collects the bundles of its source module's scope and outputs one bundle per
 *   group, once the source's operation is done (fan-in.ts);
 * - **Sleep** waits on a workflow timer (function-sleep.ts), and the run keeps Make's variables and
 *   Increment counts for the modules that read them (src/domain/run-variables.ts).
 *
 * Make: an error on the first module stops the run (status error) and stores nothing. A later
 * module's error is decided by its category (the policy table, which a scenario may override):
 * parked as an incomplete execution when the scenario allows storing them (the bundle leaves the
 * run, the others go on, the run ends with status warning), else the run stops with status error.
 *
 * In resume mode (an attempt of an incomplete execution) the run starts at the failed module with
 * the stored bundles, inside whichever route holds it, and runs only the rest of that route; the
 * modules before it never run again. Its first failure is reported to the incomplete execution
 * that started it (which moves there, as Make's does); every later failed bundle of a fan-out is
 * parked as an IE of its own, and the fan-out goes on: an attempt loses no bundle
 * (ATTEMPT_KEEPS_BUNDLES_PATCH, docs/incomplete-executions.md).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  patched,
  proxyActivities,
  proxyLocalActivities,
  sleep,
} from '@temporalio/workflow';
import {
  defaultPolicyTable,
  executionStatusCodes,
  evaluateFilter,
  evaluateMapping,
  findModulePosition,
  ImlMappingError,
  isBundleRef,
  isTransactionalModule,
  usesConnection,
  mappingEnvironment,
  mappingScopeOf,
  mergePolicyTable,
  ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  moduleStartToCloseMs,
  parkOutcome,
  referencedModuleIds,
  ROUTER,
  usesDataStores,
  usesFlowControl,
  usesHostFunctions,
  type BlueprintModule,
  type BundleContext,
  type BundleOrRef,
  type DiscardedBundle,
  type ExecutionStatus,
  type FailedBundle,
  type ModuleLogEntry,
  type ParkedBundle,
  type RunError,
  type ScenarioRunInput,
  type ScenarioRunResult,
  aggregatorIndexOf,
  usesAggregators,
  FUNCTION_SLEEP,
  MAKE_RUN_LIMIT_MS,
  FUNCTION_INCREMENT,
  readsVariables,
  RunState,
  usesRunState,
} from '../src/domain/plain';
import type { ImexActivities } from '../activities';
import { runErrorHandlerRoute } from './error-handlers';
import { sleepOperation } from './function-sleep';
import { pick, resumeInsideScopes, runAggregationScope, type FanInControl, type ScopeEnd } from './fan-in';
import { RunStopped, type Operation, type RunControl } from './run-control';
import { runErrorFromActivityFailure } from './run-errors';
import { RunTransaction } from './run-transaction';
import { afterScheduledRun } from './scenario-reruns';
import { interruptedNote, RUN_LIMIT_PATCH, RunLimit } from './run-limit';

/** Budget for bundle data kept in the run's log (the executions store); beyond it only counts. */
const LOG_OUTPUT_BUDGET_BYTES = 256 * 1024;
const LOG_MAX_ENTRIES = 1000;
const NOTES_MAX = 100;
/** Parked bundles listed in the run's result (a payload: docs/blobs.md); the rest are counted in `parkedTotal`. */
const PARKED_IN_RESULT_MAX = 500;

/**
 * Versioning: histories recorded before flow control existed never saw a router, filter,
 * error-handler route or policy override (validation refused them), but a workflow started
 * directly could have carried one, which that code ignored. Such a history replays the old way.
 */
export const FLOW_CONTROL_PATCH = 'imex-flow-control';

const { runModule } = proxyActivities<ImexActivities>({
  // A lost worker is noticed by its silence within seconds (activity-timeouts.ts); each call sizes
  // its start-to-close from the module's own timeout, which the module enforces (ModuleTimeoutError).
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  startToCloseTimeout: '10 minutes',
  // Only bounds the total: the activity decides each retry from the error category.
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const storeOptions = {
  startToCloseTimeout: '1 minute',
  // Store writes are idempotent: keep trying through a store outage rather than lose the run.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
} as const;

const remoteStoreWrites = proxyActivities<ImexActivities>({
  ...storeOptions,
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
});
const { evaluateFlowExpressions } = remoteStoreWrites;

/**
 * Parking an IE and recording the execution are short, idempotent store writes: as local
 * activities they run in the workflow's own task, without a round trip through the task queue
 * each (the larger part of their cost), and their input (the run's log) stays out of history.
 */
const localStoreWrites = proxyLocalActivities<ImexActivities>({
  ...storeOptions,
  // A longer outage waits on a workflow timer rather than holding the workflow task.
  localRetryThreshold: '10 seconds',
});

/** Versioning: histories recorded before it ran both as ordinary activities, and replay so. */
export const LOCAL_STORE_WRITES_PATCH = 'imex-local-store-writes';

const storeWrites = () => (patched(LOCAL_STORE_WRITES_PATCH) ? localStoreWrites : remoteStoreWrites);

/**
 * Versioning: mappings are IML (functions, operators, variables). Runs recorded before it sent
 * the module activity no mapping scope (time zone, variables) and never needed one: validation
 * refused anything but plain references then.
 */
export const IML_PATCH = 'imex-iml';

/** Versioning: runs recorded before it logged data loss in `notes` only. */
export const RECORD_DISCARDED_PATCH = 'imex-record-discarded';

/**
 * Versioning: before it, an attempt stopped at its first failure, and the rest of a fan-out (an
 * iterator's other bundles, a router's other routes) was neither run nor kept. Attempts recorded
 * then replay that way.
 */
export const ATTEMPT_KEEPS_BUNDLES_PATCH = 'imex-attempt-keeps-bundles';

/**
 * Versioning: a run that is not an attempt registers itself in the store before its first module
 * and unregisters at its end (activities/scenario-leases.ts), so that no attempt of the scenario's
 * IEs starts while it is in progress, whoever started it (the coordinator, or the client directly).
 * Runs recorded before it did neither.
 */
export const RUN_LEASE_PATCH = 'imex-run-lease';
/**
 * Versioning: data-store modules stage their writes in the run's transaction, which the run
 * commits or rolls back (run-transaction.ts). Only runs of blueprints with a data-store module
 * ask; none recorded before it could hold one (validation refused the type).
 */
export const DATA_STORE_TRANSACTIONS_PATCH = 'imex-data-store-transactions';
/**
 * Versioning: an operation of a module that reads a connection (an HTTP auth variant) carries the
 * run's organization, whose connection the activity reads. Only such operations ask; no run
 * recorded before it could hold one (validation refused the types).
 */
export const CONNECTIONS_PATCH = 'imex-connections';

/**
 * Versioning: aggregators (fan-in, fan-in.ts). Only runs of blueprints with one ask; none
 * recorded before it could hold one (validation refused the types).
 */
export const AGGREGATORS_PATCH = 'imex-aggregators';

/**
 * Versioning: `util:FunctionSleep` waits on a workflow timer. Only a run that reaches one asks;
 * none recorded before it could hold one (validation refused the type).
 */
export const FUNCTION_SLEEP_PATCH = 'imex-function-sleep';

/**
 * Versioning: the run keeps Make's variables and Increment counts for the modules that read them
 * (src/domain/run-variables.ts). Only blueprints with a Get variable or Increment module ask.
 */
export const RUN_VARIABLES_PATCH = 'imex-run-variables';

/** A run waits for attempts that hold a slot: it looks again after these (milliseconds, then the last). */
const ATTEMPTS_RECHECK_MS = [100, 250, 500, 1000, 2000];

/**
 * Versioning: a scheduled or webhook run started without the coordinator (`input.direct`) ends with
 * `endDirectRun` instead of `unregisterRun`: its outcome counts towards consecutive errors in the
 * store, and a webhook run whose scenario has payloads waiting for a place then delivers them
 * (`deliverQueuedWebhooks`; activities/direct-run-end.ts).
 */
export const DIRECT_RUN_END_PATCH = 'imex-direct-run-end';

/**
 * Versioning: a run on demand with Make's `callbackUrl` POSTs its outcome there before it closes
 * (activities/run-callback.ts). Runs recorded before it had no callback.
 */
export const RUN_CALLBACK_PATCH = 'imex-run-callback';

/**
 * Versioning: a confidential scenario's run (`confidential: true`) has its module outputs and
 * mapped bundles travel by reference only, so its module data is in no Temporal payload, not even
 * one the codec server decrypts (docs/security.md). Runs recorded before it carried them inline.
 */
export const CONFIDENTIAL_PATCH = 'imex-confidential';

const callbacks = proxyActivities<ImexActivities>({
  startToCloseTimeout: '30 seconds',
  // A receiver that stays down does not hold the run open for long: about two minutes, then noted.
  retry: { maximumAttempts: 6, initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function scenarioRun(input: ScenarioRunInput): Promise<ScenarioRunResult> {
  const lease =
    input.resume === undefined && patched(RUN_LEASE_PATCH)
      ? { orgId: input.orgId, scenarioId: input.scenarioId, executionId: input.executionId }
      : undefined;
  if (!lease) return runScenario(input);
  // Make: no attempt starts while a run is in progress; attempts granted before it finish first.
  let registered = await localStoreWrites.registerRun(lease);
  for (let i = 0; registered.attemptsHolding > 0; i++) {
    await sleep(ATTEMPTS_RECHECK_MS[Math.min(i, ATTEMPTS_RECHECK_MS.length - 1)] as number);
    registered = await localStoreWrites.registerRun(lease);
  }
  let outcome: Pick<ScenarioRunResult, 'status' | 'error'> = { status: 'error' };
  try {
    const result = await runScenario(input, registered.runLimitMs);
    outcome = result;
    return result;
  } catch (err) {
    outcome = outcomeOfFailure(err);
    throw err;
  } finally {
    const { direct, trigger } = input;
    if (direct && (trigger === 'schedule' || trigger === 'webhook') && patched(DIRECT_RUN_END_PATCH)) {
      const ended = await localStoreWrites.endDirectRun({
        ...lease,
        trigger,
        activation: direct.activation,
        status: outcome.status,
        endedAt: new Date().toISOString(),
        ...(outcome.error ? { error: { type: outcome.error.type, message: outcome.error.message } } : {}),
      });
      // Its place is free: payloads waiting for one start now (an ordinary activity, outside this task).
      if (ended.payloadsWaiting)
        await remoteStoreWrites.deliverQueuedWebhooks({ orgId: lease.orgId, scenarioId: lease.scenarioId });
    } else {
      await localStoreWrites.unregisterRun(lease);
    }
    // Make's exponential backoff: a transient error reruns the scenario, and a rerun tells its series.
    await afterScheduledRun(input, outcome);
    if (input.callbackUrl && patched(RUN_CALLBACK_PATCH)) await callBack(input, outcome);
  }
}

/** Make's `callbackUrl`: the outcome, once the run's place is free. A receiver that never answers changes nothing else. */
async function callBack(input: ScenarioRunInput, outcome: Pick<ScenarioRunResult, 'status' | 'error'>): Promise<void> {
  try {
    await callbacks.deliverRunCallback.executeWithOptions({ summary: 'callbackUrl' }, [
      {
        url: input.callbackUrl as string,
        body: {
          executionId: input.executionId,
          scenarioId: input.scenarioId,
          status: executionStatusCodes[outcome.status],
          ...(outcome.error ? { error: { type: outcome.error.type, message: outcome.error.message } } : {}),
        },
      },
    ]);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
  }
}

/** A run with status error fails with its result in the failure's details; anything else counts as an error. */
function outcomeOfFailure(err: unknown): Pick<ScenarioRunResult, 'status' | 'error'> {
  const [result] = (err instanceof ApplicationFailure ? (err.details ?? []) : []) as [ScenarioRunResult?];
  if (result && typeof result === 'object' && 'status' in result) return result;
  const message = err instanceof Error ? err.message : String(err);
  return { status: 'error', error: { type: 'UnexpectedError', message, moduleId: 0 } };
}

/**
 * Runs the flow. `deploymentRunLimitMs` is the deployment's run-duration limit as `registerRun`
 * answered it (Make's 40 minutes when it did not say); a scenario's `imex.runLimit` wins.
 */
async function runScenario(input: ScenarioRunInput, deploymentRunLimitMs?: number): Promise<ScenarioRunResult> {
  const startedAt = new Date();
  const { flow } = input.blueprint;
  const settings = input.blueprint.metadata.scenario;
  const resume = input.resume;
  const log: ModuleLogEntry[] = [];
  const parked: ParkedBundle[] = [];
  const notes: string[] = [];
  const operationsPerModule = new Map<number, number>();
  let operations = 0;
  let logOutputBytes = 0;
  let failure: FailedBundle | undefined;

  const overrides = settings.imex;
  const flowControl = (usesFlowControl(flow) || overrides !== undefined) && patched(FLOW_CONTROL_PATCH);
  // The scenario's overrides: the workflow decides parking with them, the module activity its in-run retries.
  const policyTable = flowControl ? mergePolicyTable(defaultPolicyTable, overrides?.policy) : defaultPolicyTable;
  const policyOverrides = flowControl ? overrides?.policy : undefined;
  const scenarioSchedule = flowControl && overrides?.schedule ? [...overrides.schedule] : undefined;

  // An attempt goes on after its first failure and parks every later failed bundle.
  const keepsEveryBundle = resume !== undefined && patched(ATTEMPT_KEEPS_BUNDLES_PATCH);
  /** Whether the flow stops here: an attempt of the old shape stops at its first failure. */
  const stopsHere = () => failure !== undefined && !keepsEveryBundle;

  // Make's variables and the scenario's zone, the same for every evaluation of this run (docs/mapping.md).
  const scope = mappingScopeOf(input);
  /** What an activity needs to evaluate as the workflow would: the scope, and a seed naming the place. */
  const imlInput = (seed: string) => (patched(IML_PATCH) ? { scope, seed } : {});
  const transaction =
    usesDataStores(flow) && patched(DATA_STORE_TRANSACTIONS_PATCH)
      ? new RunTransaction(input.executionId, input.orgId, settings, storeWrites)
      : undefined;

  const aggregates = usesAggregators(flow) && patched(AGGREGATORS_PATCH);
  const confidential = settings.confidential && patched(CONFIDENTIAL_PATCH) ? { confidential: true as const } : {};

  // Make's run-duration limit. Not for an attempt: interrupted, it would leave its IE without a verdict.
  const runLimitMs = settings.imex?.runLimit ?? deploymentRunLimitMs ?? MAKE_RUN_LIMIT_MS;
  const limit = !resume && runLimitMs > 0 && patched(RUN_LIMIT_PATCH) ? new RunLimit(runLimitMs) : undefined;

  const start = resume ? findModulePosition(flow, resume.failer) : { flow, index: 0, before: [] };
  if (!start) {
    throw ApplicationFailure.nonRetryable(
      `module ${resume?.failer} is not in the blueprint`,
      'InvalidConfigurationError',
    );
  }

  // Make's variables and counts; an attempt starts from what its stored bundles set.
  const runState =
    usesRunState(flow) && patched(RUN_VARIABLES_PATCH)
      ? resume
        ? RunState.restore(start.before, resume.context)
        : new RunState()
      : undefined;
  const readsRunState = (module: BlueprintModule) =>
    runState !== undefined && (readsVariables(module.module) || module.module === FUNCTION_INCREMENT);

  const addLog = (entry: ModuleLogEntry, output?: BundleOrRef[]) => {
    if (log.length >= LOG_MAX_ENTRIES) return;
    if (output && !settings.confidential) {
      const size = JSON.stringify(output).length;
      if (logOutputBytes + size <= LOG_OUTPUT_BUDGET_BYTES) {
        logOutputBytes += size;
        entry.output = output;
      }
    }
    log.push(entry);
  };

  async function operate(
    module: BlueprintModule,
    context: BundleContext,
    aggregation?: { contexts: BundleContext[] },
  ): Promise<Operation> {
    const bundleIndex = operationsPerModule.get(module.id) ?? 0;
    operationsPerModule.set(module.id, bundleIndex + 1);
    operations++;
    // A retry from an earlier module runs it anew: only the failed operation keeps its first key.
    const isResumePoint = resume !== undefined && !resume.rerun && module.id === resume.failer && bundleIndex === 0;
    const isTrigger = module === flow[0] && !resume;
    const operationStart = Date.now();
    if (module.module === FUNCTION_SLEEP && patched(FUNCTION_SLEEP_PATCH)) {
      return sleepOperation(module, await mapFields(module, context), bundleIndex, operationStart, addLog);
    }
    const seq = operations;
    const inTransaction = transaction !== undefined && isTransactionalModule(module.module);
    let staged = false;
    let bundles: BundleOrRef[];
    try {
      const options = { summary: `${module.id} · ${module.module}`, startToCloseTimeout: moduleStartToCloseMs(module) };
      const result = await runModule.executeWithOptions(options, [
        {
          executionId: input.executionId,
          module,
          context,
          bundleIndex,
          ...(isTrigger && input.data !== undefined ? { data: input.data } : {}),
          idempotency: isResumePoint
            ? { executionId: resume.originalExecutionId, moduleId: module.id, bundleIndex: resume.bundleIndex }
            : { executionId: input.executionId, moduleId: module.id, bundleIndex },
          ...(policyOverrides ? { policy: policyOverrides } : {}),
          ...(patched(IML_PATCH) ? { scope } : {}),
          ...(inTransaction ? { transaction: transaction.operation(seq) } : {}),
          ...(aggregation ? { aggregation } : {}),
          ...(readsRunState(module)
            ? { runState: { variables: runState?.variables, lastCount: runState?.lastCount(module.id) } }
            : {}),
          ...(usesConnection(module.module) && patched(CONNECTIONS_PATCH) ? { orgId: input.orgId } : {}),
          ...confidential,
        },
      ]);
      addLog(
        {
          moduleId: module.id,
          module: module.module,
          bundleIndex,
          startedAt: result.startedAt,
          durationMs: result.durationMs,
          status: 'success',
          outputCount: result.bundles.length,
        },
        result.bundles,
      );
      staged = result.staged === true;
      bundles = result.bundles;
      for (const bundle of bundles) runState?.record(module, bundle);
    } catch (err) {
      // Interrupted at the run's limit: the cancelled operation is no module error.
      if (limit?.reached) throw err;
      const error = runErrorFromActivityFailure(err, module.id);
      if (!error) throw err;
      if (inTransaction) transaction.failed();
      addLog({
        moduleId: module.id,
        module: module.module,
        bundleIndex,
        startedAt: new Date(operationStart).toISOString(),
        durationMs: Date.now() - operationStart,
        status: 'error',
        errorType: error.type,
        message: error.message,
      });
      return { ok: false, error, bundleIndex };
    }
    // Make's autoCommit: the module's writes are committed right after its operation.
    if (inTransaction) await transaction.succeeded(seq, isTrigger, staged);
    return { ok: true, bundles, bundleIndex };
  }

  /**
   * Filters are evaluated here, in the workflow, when every bundle they map from is inline: the
   * workflow must know the result to choose the path, and pure evaluation costs no activity and
   * no history. A bundle kept in the store by reference can be read only by an activity, and the
   * hash functions need the activity's crypto, so then (and only then) the cheap
   * `evaluateFlowExpressions` activity decides. `now` is the workflow's clock and `random`/`uuid`
   * come from a seed naming the run and the module: a replay evaluates to the same result.
   * An expression that fails (Make's DataError) fails the filter, and the run's notes say why.
   */
  async function passesFilter(module: BlueprintModule, context: BundleContext): Promise<boolean> {
    const filter = module.filter;
    if (!filter || filter.conditions.length === 0) return true;
    const ids = referencedModuleIds(filter.conditions);
    const seed = `${input.executionId}:${module.id}:filter`;
    if (!ids.some((id) => isBundleRef(context[String(id)])) && !usesHostFunctions(filter.conditions)) {
      try {
        return evaluateFilter(filter, context, mappingEnvironment(scope, seed, { now: Date.now() }));
      } catch (err) {
        if (!(err instanceof ImlMappingError)) throw err;
        note(`filter of module ${module.id} did not pass: ${err.message}`);
        return false;
      }
    }
    const { passes, error } = await evaluateFlowExpressions.executeWithOptions({ summary: `filter of ${module.id}` }, [
      { filter, context: pick(context, ids), ...imlInput(seed) },
    ]);
    if (error) note(`filter of module ${module.id} did not pass: ${error}`);
    return passes;
  }

  /** A directive's mapper (Resume's output, Break's settings); a failed expression maps nothing, noted. */
  async function mapFields(module: BlueprintModule, context: BundleContext): Promise<BundleOrRef> {
    const ids = referencedModuleIds(module.mapper);
    const seed = `${input.executionId}:${module.id}:mapper`;
    if (!ids.some((id) => isBundleRef(context[String(id)])) && !usesHostFunctions(module.mapper)) {
      try {
        return evaluateMapping(
          module.mapper,
          context,
          mappingEnvironment(scope, seed, { now: Date.now() }),
        ) as BundleOrRef;
      } catch (err) {
        if (!(err instanceof ImlMappingError)) throw err;
        note(`mapper of module ${module.id} mapped nothing: ${err.message}`);
        return {};
      }
    }
    const { mapped, error } = await evaluateFlowExpressions.executeWithOptions(
      { summary: `${module.id} · ${module.module}` },
      [{ mapper: module.mapper, context: pick(context, ids), ...imlInput(seed), ...confidential }],
    );
    if (error) note(`mapper of module ${module.id} mapped nothing: ${error}`);
    return mapped ?? {};
  }

  function note(text: string): void {
    if (notes.length < NOTES_MAX) notes.push(text);
  }

  /**
   * An attempt's failed bundle: the first is reported to the incomplete execution, which moves
   * there (Make); each later one is parked as an IE of its own, whatever its category or the
   * scenario's `dlq` (its data was kept once already: dropping it now would lose it).
   */
  async function reportFailure(failed: FailedBundle, schedule = scenarioSchedule): Promise<void> {
    if (failure === undefined || !keepsEveryBundle) {
      failure = failed;
      return;
    }
    await storePark(failed, schedule);
  }

  async function park(failed: FailedBundle, schedule = scenarioSchedule): Promise<void> {
    if (resume) return reportFailure(failed, schedule); // an attempt reports to its incomplete execution, which decides
    await storePark(failed, schedule);
  }

  /** Stores the bundle as an IE whose id derives from this run: a replay finds the same one. */
  async function storePark(failed: FailedBundle, schedule: number[] | undefined): Promise<void> {
    // A park under way finishes even when the run's limit interrupts it: the IE is then listed.
    const write = () =>
      storeWrites().parkIncompleteExecution({
        orgId: input.orgId,
        scenarioId: input.scenarioId,
        scenarioName: input.scenarioName,
        executionId: input.executionId,
        blueprint: input.blueprint,
        failed,
        ...(schedule ? { schedule } : {}),
        // Ordering per key: a run started with a key parks with it (none in histories from before);
        // an attempt's other failed bundles take their IE's.
        ...(input.orderKey === undefined ? {} : { orderKey: input.orderKey }),
        ...(resume ? { orderKeyOfIe: resume.ieId } : {}),
      });
    const parkedBundle = limit ? await CancellationScope.nonCancellable(write) : await write();
    if (!parkedBundle.parked) throw new RunStopped({ ...failed.error, message: parkedBundle.stopRun });
    parked.push(parkedBundle.parked);
    if (parkedBundle.parked.discarded) notes.push(parkedBundle.parked.discarded);
  }

  const control: RunControl = {
    resuming: resume !== undefined,
    dlqEnabled: settings.dlq,
    operate,
    passesFilter,
    mapFields,
    park,
    reportFailure,
    note,
    requestRollback: () => transaction?.requestRollback(),
  };

  /**
   * Runs `flow[index]` and, for each bundle it outputs, the rest of that flow (routes included).
   * Inside an aggregation scope, a bundle that reaches the scope's `end` is collected there.
   */
  async function runFrom(
    current: readonly BlueprintModule[],
    index: number,
    context: BundleContext,
    isResumePoint = false,
    end?: ScopeEnd,
  ): Promise<void> {
    const module = current[index];
    if (!module || stopsHere()) return;
    // The bundle an attempt resumes with passed the filter when it first got here.
    if (flowControl && !isResumePoint && !(await passesFilter(module, context))) return;
    if (end && current === end.flow && index === end.index) {
      end.collected.push(context);
      return;
    }
    if (flowControl && module.module === ROUTER) {
      for (const route of module.routes ?? []) {
        await runFrom(route.flow, 0, context); // a router ends its flow: never inside a scope
        if (stopsHere()) return;
      }
      return;
    }

    const operation = await operate(module, context);
    let bundles: BundleOrRef[];
    if (operation.ok) {
      bundles = operation.bundles;
    } else if (flowControl && (module.onerror?.length ?? 0) > 0) {
      // Make: a module with an error handler never follows the default policy.
      bundles = await runErrorHandlerRoute(control, module, context, operation.bundleIndex, operation.error);
    } else {
      await handleFailure(module, context, operation.bundleIndex, operation.error);
      return;
    }

    const aggregatorIndex = aggregates ? aggregatorIndexOf(current, index) : undefined;
    if (aggregatorIndex !== undefined) {
      return runAggregationScope(fanIn, current, index, aggregatorIndex, context, bundles, end);
    }
    for (const bundle of bundles) {
      await runFrom(current, index + 1, { ...context, [String(module.id)]: bundle }, false, end);
      if (stopsHere()) return;
    }
  }

  const fanIn: FanInControl = { resuming: resume !== undefined, operate, runFrom, stopsHere };

  async function handleFailure(
    module: BlueprintModule,
    context: BundleContext,
    bundleIndex: number,
    error: RunError,
  ): Promise<void> {
    const outcome = parkOutcome(error.type, {
      isFirstModule: module.id === flow[0]?.id,
      dlqEnabled: settings.dlq,
      table: policyTable,
    });
    if (resume) {
      // An attempt reports every failure to its incomplete execution, which decides.
      return reportFailure({
        failer: module.id,
        bundleIndex,
        context,
        error,
        outcome: outcome === 'park-auto-retry' ? 'park-auto-retry' : 'park-manual',
      });
    }
    if (outcome === 'fail') throw new RunStopped(error);
    await park({ failer: module.id, bundleIndex, context, error, outcome });
  }

  let stopped: RunStopped | undefined;
  try {
    const runFlow = async () => {
      if (resume && aggregates) await resumeInsideScopes(fanIn, start.flow, start.index, resume.context);
      else await runFrom(start.flow, start.index, resume ? resume.context : {}, resume !== undefined);
    };
    if (limit) await limit.run(runFlow);
    else await runFlow();
  } catch (err) {
    if (!(err instanceof RunStopped)) throw err;
    stopped = err;
  }

  // Make: commit what waits (the trigger's last), or the rollback phase when the run stopped with an error.
  await transaction?.settle(stopped?.error !== undefined);

  const error = stopped?.error ?? failure?.error;
  // Make's "enable data loss": each dropped bundle is named in the run's log entry, not only in notes.
  const discarded: DiscardedBundle[] = parked.flatMap((p) =>
    p.discarded ? [{ moduleId: p.failer, bundleIndex: p.bundleIndex, reason: p.discarded }] : [],
  );
  // Make: an interrupted run ends with the ExecutionInterruptedError warning, and stores no IE (§2.3).
  if (limit?.reached) notes.push(interruptedNote(limit.limitMs, operations));
  const status: ExecutionStatus = error ? 'error' : parked.length > 0 || limit?.reached ? 'warning' : 'success';
  const result: ScenarioRunResult = {
    executionId: input.executionId,
    status,
    operations,
    parked: parked.slice(0, PARKED_IN_RESULT_MAX),
    ...(parked.length > PARKED_IN_RESULT_MAX ? { parkedTotal: parked.length } : {}),
    notes,
    ...(error ? { error } : {}),
    ...(failure ? { failure } : {}),
  };
  await storeWrites().recordExecution({
    executionId: input.executionId,
    orgId: input.orgId,
    scenarioId: input.scenarioId,
    status,
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    operations,
    trigger: input.trigger,
    ...(resume ? { ieId: resume.ieId } : {}),
    ...(error ? { error } : {}),
    notes,
    ...(discarded.length > 0 && patched(RECORD_DISCARDED_PATCH) ? { discarded } : {}),
    log,
  });

  if (status === 'error' && error) {
    // Failed in the Temporal Web UI too; the details carry the whole result for callers.
    throw ApplicationFailure.create({
      type: error.type,
      message: `module ${error.moduleId} failed: ${error.message}`,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}
