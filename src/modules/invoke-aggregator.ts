/**
 * Running one aggregation through the contract: parse the parameters and every mapped item,
 * group the items (src/domain/aggregation.ts), and let the aggregator make one bundle per group,
 * to which Make's key and length fields are added. Errors name the module, and the item for a
 * misfit one.
 */
import {
  AGGREGATED_LENGTH_FIELD,
  GROUP_KEY_FIELD,
  groupAggregatedItems,
  ModuleError,
  type AggregatedGroup,
} from '../domain';
import { classifyError } from './classify';
import type { AnyModuleDefinition, ModuleExecution, OutputBundle } from './contract';
import { describeIssues } from './invoke';

export interface AggregationInvocation {
  /** The blueprint module's `parameters`, as stored. */
  parameters: unknown;
  /** The aggregator's mapper evaluated on each collected bundle, in arrival order. */
  items: readonly unknown[];
  /** Each item's group-by value; absent when the aggregation is not grouped. */
  keys?: readonly unknown[];
  stopIfEmpty: boolean;
  execution: ModuleExecution;
}

export function invokeAggregator(definition: AnyModuleDefinition, invocation: AggregationInvocation): OutputBundle[] {
  const { execution } = invocation;
  const named = (error: ModuleError) => error.withModuleId(execution.moduleId);
  const aggregate = definition.aggregate;
  if (!aggregate) {
    throw named(new ModuleError('InvalidConfigurationError', `${definition.type} is not an aggregator`));
  }
  const parameters = definition.parametersSchema.safeParse(invocation.parameters);
  if (!parameters.success) {
    throw named(new ModuleError('InvalidConfigurationError', describeIssues(parameters.error, 'parameters')));
  }
  const entries = invocation.items.map((raw, i) => {
    const item = definition.mapperSchema.safeParse(raw);
    if (!item.success) {
      throw named(new ModuleError('DataError', `aggregated bundle ${i + 1}: ${describeIssues(item.error, 'mapper')}`));
    }
    return { item: item.data, ...(invocation.keys ? { key: invocation.keys[i] } : {}) };
  });
  const grouped = invocation.keys !== undefined;
  const groups: AggregatedGroup<unknown>[] = groupAggregatedItems(entries, {
    grouped,
    stopIfEmpty: invocation.stopIfEmpty,
  });
  return groups.map((group) => {
    let bundle: OutputBundle;
    try {
      bundle = aggregate({ parameters: parameters.data, items: group.items, execution });
    } catch (error) {
      throw named(definition.classify?.(error) ?? classifyError(error));
    }
    return {
      ...(grouped ? { [GROUP_KEY_FIELD]: group.key ?? null } : {}),
      ...bundle,
      [AGGREGATED_LENGTH_FIELD]: group.items.length,
    };
  });
}
