/**
 * Running one module operation through the contract: parse its input, run it, check its
 * output, and turn whatever it threw into a `ModuleError` that names the module. The module
 * activity calls this; tests and users can too.
 */
import type { z } from 'zod';
import { ModuleError, formatPath } from '../domain';
import { classifyError } from './classify';
import type { AnyModuleDefinition, ModuleExecution, ModuleRunState, OutputBundle, WebhookResponder } from './contract';
import type { ConnectionAccess } from './connection-access';
import type { DataStoreAccess } from './data-store-access';
import { idempotencyKeyFor } from './idempotency';

export interface ModuleInvocation {
  /** The blueprint module's `parameters`, as stored. */
  parameters: unknown;
  /** The blueprint module's `mapper` with its `{{…}}` mappings already evaluated. */
  mapper: unknown;
  execution: ModuleExecution;
  signal?: AbortSignal;
  /** Defaults to `idempotencyKeyFor(executionId, moduleId, bundleIndex)`. */
  idempotencyKey?: string;
  input?: unknown;
  dataStores?: DataStoreAccess;
  runState?: ModuleRunState;
  connections?: ConnectionAccess;
  webhookResponses?: WebhookResponder;
}

export function describeIssues(error: z.ZodError, field: string): string {
  return error.issues.map((issue) => `${formatPath([field, ...issue.path])}: ${issue.message}`).join('; ');
}

export async function invokeModule(
  definition: AnyModuleDefinition,
  invocation: ModuleInvocation,
): Promise<OutputBundle[]> {
  const { execution } = invocation;
  const signal = invocation.signal ?? new AbortController().signal;
  const named = (error: ModuleError) => error.withModuleId(execution.moduleId);

  const parameters = definition.parametersSchema.safeParse(invocation.parameters);
  if (!parameters.success) {
    // Static configuration is part of the blueprint: a person has to fix the scenario.
    throw named(new ModuleError('InvalidConfigurationError', describeIssues(parameters.error, 'parameters')));
  }
  const mapper = definition.mapperSchema.safeParse(invocation.mapper);
  if (!mapper.success) {
    // Mapped data that does not fit the module (Make's BundleValidationError): DataError, so the
    // incomplete execution waits for a person to fix the data (DESIGN.md §5).
    throw named(new ModuleError('DataError', describeIssues(mapper.error, 'mapper')));
  }

  if (!definition.run) {
    throw named(
      new ModuleError('InvalidConfigurationError', `${definition.type} is an aggregator: it runs over a scope`),
    );
  }
  let output: unknown;
  try {
    output = await definition.run({
      parameters: parameters.data,
      mapper: mapper.data,
      execution,
      signal,
      idempotencyKey:
        invocation.idempotencyKey ??
        idempotencyKeyFor(execution.executionId, execution.moduleId, execution.bundleIndex),
      ...(invocation.input === undefined ? {} : { input: invocation.input }),
      ...(invocation.dataStores ? { dataStores: invocation.dataStores } : {}),
      ...(invocation.runState ? { runState: invocation.runState } : {}),
      ...(invocation.connections ? { connections: invocation.connections } : {}),
      ...(invocation.webhookResponses ? { webhookResponses: invocation.webhookResponses } : {}),
    });
  } catch (error) {
    // A cancelled operation is not a module failure: let the caller see its own reason.
    if (signal.aborted && error === signal.reason) throw error;
    throw named(definition.classify?.(error) ?? classifyError(error));
  }

  if (!Array.isArray(output) || !output.every(isPlainObject)) {
    throw named(
      new ModuleError('UnexpectedError', `${definition.type} returned something other than a list of bundles`),
    );
  }
  return output;
}

function isPlainObject(value: unknown): value is OutputBundle {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
