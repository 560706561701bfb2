/**
 * One module operation: map the bundles into the module's fields, run it, and when it fails
 * decide from the error's category whether Temporal retries it now (and after how long) or not
 * at all. A RetryPolicy is fixed before the error is known, so the decision is taken here and
 * handed to Temporal as `nextRetryDelay` or `nonRetryable` (DESIGN.md §5); the activity's
 * RetryPolicy only bounds the total.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import {
  aggregatorSettings,
  decideInRunRetry,
  evaluateMapping,
  ImlMappingError,
  FUNCTION_INCREMENT,
  mergePolicyTable,
  ModuleError,
  setsVariables,
  type BlueprintModule,
  type BundleContext,
  type BundleOrRef,
  type MappingScope,
  type PolicyOverrides,
  type PolicyTable,
} from '../src/domain';
import {
  idempotencyKeyFor,
  invokeAggregator,
  invokeModule,
  type AnyModuleDefinition,
  type ModuleExecution,
  type ModuleRegistry,
  type ModuleRunState,
  type OutputBundle,
} from '../src/modules';
import type { Store } from '../src/store';
import { resolveBundle, resolveContext, toBundleOrRefs } from './bundle-refs';
import { activityMappingEnvironment } from './mapping-environment';
import { RUNAWAY_HINT, TimeBoundExceededError, withinTimeBound } from '../src/modules/time-bound';
import { createDataStoreAccess, type OperationTransaction } from './data-store-access';

export interface RunModuleInput {
  executionId: string;
  module: BlueprintModule;
  /** Bundles of earlier modules, keyed by module id. */
  context: BundleContext;
  /** The n-th operation (0-based) of this module in the run. */
  bundleIndex: number;
  /** The trigger's input data (first module only). */
  data?: unknown;
  /** Whose Idempotency-Key this operation sends: an IE attempt reuses the original run's. */
  idempotency: { executionId: string; moduleId: number; bundleIndex: number };
  /** The scenario's overrides (`metadata.scenario.imex.policy`), merged over the worker's table. */
  policy?: PolicyOverrides;
  /** The run's time zone and variables for the mapper's IML (absent in runs recorded before IML). */
  scope?: MappingScope;
  /** Data-store modules: the run's organization and transaction (docs/data-stores.md). */
  transaction?: OperationTransaction;
  /**
   * An aggregator's operation: the contexts of the bundles its scope collected, in arrival order
   * (each with what the aggregator maps). `context` is then the bundles from before its source.
   */
  aggregation?: { contexts: BundleContext[] };
  /** Get variable and Increment modules: what the run remembers (src/domain/run-variables.ts). */
  runState?: ModuleRunState;
  /** The run's organization, for modules that read a connection (its secret never travels here). */
  orgId?: number;
  /** A confidential scenario's run: every output bundle travels by reference (bundle-refs.ts). */
  confidential?: true;
}

export interface RunModuleOutput {
  bundles: BundleOrRef[];
  startedAt: string;
  durationMs: number;
  /** The operation staged data-store writes, which the run commits or rolls back. */
  staged?: true;
}

/** What a failed operation carries in its ApplicationFailure details. */
export interface ModuleFailureDetails {
  moduleId: number;
  retryAfterMs?: number;
  details?: Record<string, unknown>;
}

export interface RunModuleDeps {
  registry: ModuleRegistry;
  store: Store;
  policyTable: PolicyTable;
}

export function createRunModule({ registry, store, policyTable }: RunModuleDeps) {
  const blobs = store.blobs;
  return async function runModule(input: RunModuleInput): Promise<RunModuleOutput> {
    const { module } = input;
    const info = Context.current().info;
    const startedAt = new Date();
    const definition = registry.get(module.module);
    try {
      if (!definition) {
        // Validation rejects unknown modules; this is a worker deployed without a module type.
        throw new ModuleError(
          'InvalidConfigurationError',
          `module type ${module.module} is not registered on this worker`,
          {
            moduleId: module.id,
          },
        );
      }
      const idempotencyKey = idempotencyKeyFor(
        input.idempotency.executionId,
        input.idempotency.moduleId,
        input.idempotency.bundleIndex,
      );
      const execution = {
        executionId: input.executionId,
        moduleId: module.id,
        bundleIndex: input.bundleIndex,
        attempt: info.attempt,
      };
      if (input.aggregation) {
        const output = await aggregate(
          module,
          definition,
          input.aggregation.contexts,
          input.scope,
          idempotencyKey,
          execution,
        );
        return {
          bundles: await toBundleOrRefs(blobs, output, input.context, { byReference: byReference(input) }),
          startedAt: startedAt.toISOString(),
          durationMs: Date.now() - startedAt.getTime(),
        };
      }
      const context = await resolveContext(blobs, input.context);
      const dataStores = input.transaction ? createDataStoreAccess(store, input.transaction) : undefined;
      const orgId = input.orgId;
      const connections =
        orgId === undefined
          ? undefined
          : { secretOf: async (id: number) => (await store.connections.secretOf(orgId, id)) ?? undefined };
      const output = await invokeModule(definition, {
        parameters: module.parameters,
        mapper: mapFields(module, context, input.scope, idempotencyKey),
        execution,
        signal: Context.current().cancellationSignal,
        idempotencyKey,
        input: input.data === undefined ? undefined : await resolveBundle(blobs, input.data),
        ...(dataStores ? { dataStores } : {}),
        ...(input.runState ? { runState: input.runState } : {}),
        ...(connections ? { connections } : {}),
        webhookResponses: {
          respond: async (response) => void (await store.webhookResponses.respond(input.executionId, response)),
        },
      });
      return {
        // Each bundle joins the input context on its way on: keep that context under its bound.
        bundles: await toBundleOrRefs(blobs, output, input.context, { byReference: byReference(input) }),
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        ...(dataStores?.staged ? { staged: true as const } : {}),
      };
    } catch (err) {
      if (!(err instanceof ModuleError)) throw err; // cancellation, or our own bug: Temporal's policy applies
      const decision = decideInRunRetry({
        category: err.category,
        attempt: info.attempt,
        table: input.policy ? mergePolicyTable(policyTable, input.policy) : policyTable,
        retryAfterMs: err.retryAfterMs,
      });
      const details: ModuleFailureDetails = {
        moduleId: module.id,
        ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
        ...(Object.keys(err.details).length ? { details: err.details } : {}),
      };
      throw ApplicationFailure.create({
        type: err.category,
        message: err.message,
        details: [details],
        ...(decision.kind === 'retry' ? { nextRetryDelay: decision.delayMs } : { nonRetryable: true }),
      });
    }
  };

  /**
   * An aggregation: the mapper and the group-by evaluated on each collected bundle (each with a
   * seed of its own, the same on every retry), then grouped and aggregated.
   */
  async function aggregate(
    module: BlueprintModule,
    definition: AnyModuleDefinition,
    contexts: readonly BundleContext[],
    scope: MappingScope | undefined,
    seed: string,
    execution: ModuleExecution,
  ): Promise<OutputBundle[]> {
    const settings = aggregatorSettings(module);
    const items: unknown[] = [];
    const keys: unknown[] = [];
    for (const [i, raw] of contexts.entries()) {
      const context = await resolveContext(blobs, raw);
      items.push(mapFields(module, context, scope, `${seed}:${i}`));
      if (settings.groupBy !== undefined) {
        keys.push(mapValue(module, 'flags.groupBy', settings.groupBy, context, scope, `${seed}:${i}:group`));
      }
    }
    return invokeAggregator(definition, {
      parameters: module.parameters,
      items,
      ...(settings.groupBy !== undefined ? { keys } : {}),
      stopIfEmpty: settings.stopIfEmpty,
      execution,
    });
  }
}

/**
 * The module's mapper evaluated, Make's way: a function that fails is a DataError (no in-run
 * retry, an IE for a person). The seed is the operation's idempotency key, so an in-run retry
 * and an IE attempt map the same `uuid` and `random` values as the first try (`now` is this
 * evaluation's clock: docs/mapping.md).
 */
function mapFields(
  module: BlueprintModule,
  context: Record<string, unknown>,
  scope: MappingScope | undefined,
  seed: string,
): unknown {
  return mapValue(module, undefined, module.mapper, context, scope, seed);
}

/** One value of the module evaluated (its mapper, or another field such as `flags.groupBy`). */
function mapValue(
  module: BlueprintModule,
  field: string | undefined,
  value: unknown,
  context: Record<string, unknown>,
  scope: MappingScope | undefined,
  seed: string,
): unknown {
  try {
    // Bounded in time as well as in units: a regular expression can backtrack without end (time-bound.ts).
    return withinTimeBound(() => evaluateMapping(value, context, activityMappingEnvironment(scope, seed)));
  } catch (err) {
    if (err instanceof TimeBoundExceededError) {
      throw new ModuleError('DataError', `${field ?? 'the mapper'}: mapping ${err.message} (${RUNAWAY_HINT})`, {
        moduleId: module.id,
        details: { ...(field === undefined ? {} : { field }), limitMs: err.limitMs },
      });
    }
    if (!(err instanceof ImlMappingError)) throw err;
    const position = err.cause.position;
    throw new ModuleError('DataError', field ? `${field}: ${err.message}` : err.message, {
      moduleId: module.id,
      details: { field: field ?? err.field, ...(position === undefined ? {} : { position }) },
    });
  }
}

/**
 * A confidential run's outputs travel by reference, but for the modules whose outputs the workflow
 * itself keeps (Set variable, Increment: src/domain/run-variables.ts): a reference would lose the
 * run's variables and counts.
 */
function byReference(input: RunModuleInput): boolean {
  return (
    input.confidential === true && !setsVariables(input.module.module) && input.module.module !== FUNCTION_INCREMENT
  );
}
