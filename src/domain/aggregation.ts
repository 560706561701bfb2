/**
 * Make's aggregators (fan-in), as pure helpers shared by validation, the `scenarioRun` workflow
 * and the module activity (docs/modules.md, section "Aggregators").
 *
 * An aggregator names its **source module** (`parameters.feeder`), which sits earlier in the same
 * flow. The modules from the source up to the aggregator are the aggregator's **scope**: each
 * bundle the source outputs goes through them, and every bundle that reaches the aggregator is
 * collected. When the source's operation is done, the aggregator outputs one bundle per group
 * (`flags.groupBy`; one group when absent), and the rest of the flow runs once per output bundle
 * with the bundles from before the source plus the aggregator's own: the source's and the scope's
 * bundles cannot be mapped after the aggregator (Make: "not outputted").
 */
import type { BlueprintModule } from './blueprint';
import { numberFrom } from './flow-control';

export const AGGREGATORS = ['builtin:BasicAggregator', 'util:TextAggregator', 'json:AggregateToJSON'] as const;

export function isAggregator(type: string): boolean {
  return (AGGREGATORS as readonly string[]).includes(type);
}

/** Make's output fields of a grouped aggregation ("Key") and of every aggregation ("Total number of bundles"). */
export const GROUP_KEY_FIELD = '__IMTKEY__';
export const AGGREGATED_LENGTH_FIELD = '__IMTAGGLENGTH__';

export interface AggregatorSettings {
  /** The source module's id; undefined when the blueprint does not give a usable one. */
  feeder: number | undefined;
  /** The group-by expression (`flags.groupBy`), mapped per input bundle; undefined: one group. */
  groupBy: unknown;
  /** "Stop processing after an empty aggregation" (`flags.stopIfEmpty`). */
  stopIfEmpty: boolean;
}

export function aggregatorSettings(module: BlueprintModule): AggregatorSettings {
  const feeder = numberFrom(module.parameters.feeder);
  const flags = isRecord(module.flags) ? module.flags : {};
  const groupBy = flags.groupBy;
  const stop = flags.stopIfEmpty;
  return {
    feeder: feeder !== undefined && Number.isInteger(feeder) && feeder > 0 ? feeder : undefined,
    groupBy: groupBy === undefined || groupBy === null || groupBy === '' ? undefined : groupBy,
    stopIfEmpty: stop === true || stop === 'true',
  };
}

/** An aggregation scope in a flow: the source at `feederIndex`, the aggregator at `aggregatorIndex`. */
export interface AggregationScope {
  feederIndex: number;
  aggregatorIndex: number;
}

/** Every aggregation scope of one flow (not of its routes), in the order of their aggregators. */
export function aggregationScopes(flow: readonly BlueprintModule[]): AggregationScope[] {
  const scopes: AggregationScope[] = [];
  flow.forEach((module, aggregatorIndex) => {
    if (!isAggregator(module.module)) return;
    const { feeder } = aggregatorSettings(module);
    const feederIndex = flow.findIndex((m, i) => i < aggregatorIndex && m.id === feeder);
    if (feederIndex >= 0) scopes.push({ feederIndex, aggregatorIndex });
  });
  return scopes;
}

/** The index of the aggregator whose source is `flow[feederIndex]`, if any. */
export function aggregatorIndexOf(flow: readonly BlueprintModule[], feederIndex: number): number | undefined {
  return aggregationScopes(flow).find((scope) => scope.feederIndex === feederIndex)?.aggregatorIndex;
}

/** The scopes that hold `flow[index]` strictly inside (after the source, before the aggregator), innermost first. */
export function enclosingScopes(flow: readonly BlueprintModule[], index: number): AggregationScope[] {
  return aggregationScopes(flow)
    .filter((scope) => scope.feederIndex < index && index < scope.aggregatorIndex)
    .sort((a, b) => a.aggregatorIndex - a.feederIndex - (b.aggregatorIndex - b.feederIndex));
}

/** Ids of the source and the scope's modules: what the flow after the aggregator no longer sees. */
export function scopeModuleIds(flow: readonly BlueprintModule[], scope: AggregationScope): number[] {
  return flow.slice(scope.feederIndex, scope.aggregatorIndex).map((module) => module.id);
}

export function usesAggregators(flow: readonly BlueprintModule[]): boolean {
  return flow.some(
    (module) => isAggregator(module.module) || (module.routes ?? []).some((route) => usesAggregators(route.flow)),
  );
}

/** One group of an aggregation: its key (grouped aggregations only) and its items, in arrival order. */
export interface AggregatedGroup<T> {
  key?: unknown;
  items: T[];
}

/**
 * Groups the mapped items by their group-by value, in the order each value first arrived
 * (Make's). Values are the same group when their JSON is the same (`1` and `"1"` are not).
 * Without group-by there is one group, empty when nothing arrived unless `stopIfEmpty`; a
 * grouped aggregation of nothing has no group.
 */
export function groupAggregatedItems<T>(
  entries: readonly { item: T; key?: unknown }[],
  options: { grouped: boolean; stopIfEmpty: boolean },
): AggregatedGroup<T>[] {
  if (!options.grouped) {
    if (entries.length === 0 && options.stopIfEmpty) return [];
    return [{ items: entries.map((entry) => entry.item) }];
  }
  const groups = new Map<string, AggregatedGroup<T>>();
  for (const entry of entries) {
    const key = entry.key === undefined ? null : entry.key;
    const identity = JSON.stringify(key) ?? 'null';
    const group = groups.get(identity);
    if (group) group.items.push(entry.item);
    else groups.set(identity, { key, items: [entry.item] });
  }
  return [...groups.values()];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
