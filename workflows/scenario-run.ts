/**
 * `scenarioRun`: one execution of a Make scenario. Every module operation is an activity; the
 * flow runs depth-first per bundle, in order, as Make's does: each bundle a module outputs goes
 * through the rest of the flow before the next one.
 *
 * Make: an error on the first module stops the run (status error) and stores nothing. A later
 * module's error is decided by its category (the policy table): parked as an incomplete execution
 * when the scenario allows storing them (the bundle leaves the run, the others go on, the run
 * ends with status warning), else the run stops with status error.
 *
 * In resume mode (an attempt of an incomplete execution) the run starts at the failed module with
 * the stored bundles; the modules before it never run again. It parks nothing itself: a failure
 * is reported to the incomplete execution that started it.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import {
  defaultPolicyTable,
  parkOutcome,
  type BlueprintModule,
  type BundleContext,
  type BundleOrRef,
  type ExecutionStatus,
  type FailedBundle,
  type ModuleLogEntry,
  type ParkedBundle,
  type RunError,
  type ScenarioRunInput,
  type ScenarioRunResult,
} from '../src/domain';
import type { ImexActivities } from '../activities';
import { runErrorFromActivityFailure } from './run-errors';

/** Budget for bundle data kept in the run's log (the executions store); beyond it only counts. */
const LOG_OUTPUT_BUDGET_BYTES = 256 * 1024;
const LOG_MAX_ENTRIES = 1000;

const { runModule } = proxyActivities<ImexActivities>({
  // The module enforces its own timeout (ModuleTimeoutError); this bounds a lost worker.
  startToCloseTimeout: '10 minutes',
  // Only bounds the total: the activity decides each retry from the error category.
  retry: { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { recordExecution, parkIncompleteExecution } = proxyActivities<ImexActivities>({
  startToCloseTimeout: '1 minute',
  // Store writes are idempotent: keep trying through a store outage rather than lose the run.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

class RunStopped {
  constructor(readonly error: RunError) {}
}

export async function scenarioRun(input: ScenarioRunInput): Promise<ScenarioRunResult> {
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

  const startIndex = resume ? flow.findIndex((m) => m.id === resume.failer) : 0;
  if (startIndex < 0) {
    throw ApplicationFailure.nonRetryable(
      `module ${resume?.failer} is not in the blueprint`,
      'InvalidConfigurationError',
    );
  }

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

  async function runFrom(index: number, context: BundleContext): Promise<void> {
    const module = flow[index];
    if (!module || failure) return;
    const bundleIndex = operationsPerModule.get(module.id) ?? 0;
    operationsPerModule.set(module.id, bundleIndex + 1);
    operations++;
    const isResumePoint = resume !== undefined && index === startIndex && bundleIndex === 0;
    const operationStart = Date.now();

    let bundles: BundleOrRef[];
    try {
      const result = await runModule.executeWithOptions({ summary: `${module.id} · ${module.module}` }, [
        {
          executionId: input.executionId,
          module,
          context,
          bundleIndex,
          ...(index === 0 && !resume && input.data !== undefined ? { data: input.data } : {}),
          idempotency: isResumePoint
            ? { executionId: resume.originalExecutionId, moduleId: module.id, bundleIndex: resume.bundleIndex }
            : { executionId: input.executionId, moduleId: module.id, bundleIndex },
        },
      ]);
      bundles = result.bundles;
      addLog(
        {
          moduleId: module.id,
          module: module.module,
          bundleIndex,
          startedAt: result.startedAt,
          durationMs: result.durationMs,
          status: 'success',
          outputCount: bundles.length,
        },
        bundles,
      );
    } catch (err) {
      const error = runErrorFromActivityFailure(err, module.id);
      if (!error) throw err;
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
      await handleFailure(module, index, context, bundleIndex, error);
      return;
    }

    for (const bundle of bundles) {
      await runFrom(index + 1, { ...context, [String(module.id)]: bundle });
      if (failure) return;
    }
  }

  async function handleFailure(
    module: BlueprintModule,
    index: number,
    context: BundleContext,
    bundleIndex: number,
    error: RunError,
  ): Promise<void> {
    const outcome = parkOutcome(error.type, {
      isFirstModule: index === 0,
      dlqEnabled: settings.dlq,
      table: defaultPolicyTable,
    });
    if (resume) {
      // An attempt reports every failure to its incomplete execution, which decides.
      failure = {
        failer: module.id,
        bundleIndex,
        context,
        error,
        outcome: outcome === 'park-auto-retry' ? 'park-auto-retry' : 'park-manual',
      };
      return;
    }
    if (outcome === 'fail') throw new RunStopped(error);
    const parkedBundle = await parkIncompleteExecution({
      orgId: input.orgId,
      scenarioId: input.scenarioId,
      scenarioName: input.scenarioName,
      executionId: input.executionId,
      blueprint: input.blueprint,
      failed: { failer: module.id, bundleIndex, context, error, outcome },
    });
    if (!parkedBundle.parked) throw new RunStopped({ ...error, message: parkedBundle.stopRun });
    parked.push(parkedBundle.parked);
    if (parkedBundle.parked.discarded) notes.push(parkedBundle.parked.discarded);
  }

  let stopped: RunError | undefined;
  try {
    await runFrom(startIndex, resume ? resume.context : {});
  } catch (err) {
    if (!(err instanceof RunStopped)) throw err;
    stopped = err.error;
  }

  const error = stopped ?? failure?.error;
  const status: ExecutionStatus = error ? 'error' : parked.length > 0 ? 'warning' : 'success';
  const result: ScenarioRunResult = {
    executionId: input.executionId,
    status,
    operations,
    parked,
    notes,
    ...(error ? { error } : {}),
    ...(failure ? { failure } : {}),
  };
  await recordExecution({
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
