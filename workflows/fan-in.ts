/**
 * Make's aggregators in a run (fan-in; src/domain/aggregation.ts, docs/modules.md "Aggregators").
 *
 * When the source module of an aggregator has run, each of its bundles goes through the scope
 * (the modules up to the aggregator) and whatever reaches the aggregator is collected; then the
 * aggregator runs once, over everything collected, and the rest of the flow runs once per bundle
 * it outputs, with the bundles from before the source plus the aggregator's.
 *
 * Incomplete executions (docs/incomplete-executions.md, "Aggregators"):
 * - a bundle that fails inside the scope is parked as usual and leaves the scope; the other
 *   bundles go on, and the aggregator aggregates the ones that arrived (Make);
 * - an attempt that resumes inside a scope runs the rest of the scope for its stored bundle only,
 *   then the aggregator over what that attempt collected (bundles the first aggregation never
 *   counted), then the rest of the flow. When nothing arrives (it failed again), the attempt's
 *   aggregator outputs nothing: the first run's aggregation already went on;
 * - a module after the aggregator fails like any other: its IE holds the aggregator's bundle;
 * - the aggregator itself only maps and groups: when that fails (a mapping error on one item),
 *   the run stops with the error (status error). An IE cannot hold a whole scope's bundles yet.
 */
import {
  aggregatorSettings,
  enclosingScopes,
  referencedModuleIds,
  scopeModuleIds,
  type BlueprintModule,
  type BundleContext,
} from '../src/domain/plain';
import { RunStopped, type Operation } from './run-control';

/** Where a scope ends (its aggregator's flow and index there), and the contexts that got there. */
export interface ScopeEnd {
  flow: readonly BlueprintModule[];
  index: number;
  collected: BundleContext[];
}

export interface FanInControl {
  readonly resuming: boolean;
  operate(
    module: BlueprintModule,
    context: BundleContext,
    aggregation?: { contexts: BundleContext[] },
  ): Promise<Operation>;
  runFrom(
    flow: readonly BlueprintModule[],
    index: number,
    context: BundleContext,
    isResumePoint: boolean,
    end: ScopeEnd | undefined,
  ): Promise<void>;
  stopsHere(): boolean;
}

/**
 * The source at `flow[feederIndex]` output `bundles`: each goes through the scope, then the
 * aggregator at `aggregatorIndex` aggregates what arrived. `context` is the source's input, and
 * `end` the scope this one sits in, if any.
 */
export async function runAggregationScope(
  control: FanInControl,
  flow: readonly BlueprintModule[],
  feederIndex: number,
  aggregatorIndex: number,
  context: BundleContext,
  bundles: readonly BundleContext[string][],
  end: ScopeEnd | undefined,
): Promise<void> {
  const feeder = flow[feederIndex] as BlueprintModule;
  const scope: ScopeEnd = { flow, index: aggregatorIndex, collected: [] };
  for (const bundle of bundles) {
    await control.runFrom(flow, feederIndex + 1, { ...context, [String(feeder.id)]: bundle }, false, scope);
    if (control.stopsHere()) return;
  }
  await aggregateAndGoOn(control, flow, aggregatorIndex, context, scope.collected, end);
}

/**
 * An attempt resuming at `flow[index]` inside one or more scopes: the innermost collects what this
 * attempt brings, its aggregator goes on into the next scope out, and so on.
 */
export async function resumeInsideScopes(
  control: FanInControl,
  flow: readonly BlueprintModule[],
  index: number,
  context: BundleContext,
): Promise<void> {
  const scopes = enclosingScopes(flow, index);
  const ends: ScopeEnd[] = scopes.map((scope) => ({ flow, index: scope.aggregatorIndex, collected: [] }));
  await control.runFrom(flow, index, context, true, ends[0]);
  for (const [k, scope] of scopes.entries()) {
    if (control.stopsHere()) return;
    const hidden = new Set(scopeModuleIds(flow, scope).map(String));
    const outer = Object.fromEntries(Object.entries(context).filter(([id]) => !hidden.has(id)));
    await aggregateAndGoOn(control, flow, scope.aggregatorIndex, outer, (ends[k] as ScopeEnd).collected, ends[k + 1]);
  }
}

async function aggregateAndGoOn(
  control: FanInControl,
  flow: readonly BlueprintModule[],
  aggregatorIndex: number,
  outer: BundleContext,
  collected: BundleContext[],
  end: ScopeEnd | undefined,
): Promise<void> {
  const aggregator = flow[aggregatorIndex] as BlueprintModule;
  // An attempt's aggregation carries only the bundles it brought; with none, the first run's went on.
  if (control.resuming && collected.length === 0) return;
  const ids = referencedModuleIds([aggregator.mapper, aggregatorSettings(aggregator).groupBy]);
  const contexts = collected.map((context) => pick(context, ids));
  const operation = await control.operate(aggregator, outer, { contexts });
  if (!operation.ok) throw new RunStopped(operation.error);
  for (const bundle of operation.bundles) {
    await control.runFrom(flow, aggregatorIndex + 1, { ...outer, [String(aggregator.id)]: bundle }, false, end);
    if (control.stopsHere()) return;
  }
}

export function pick(context: BundleContext, ids: readonly number[]): BundleContext {
  const picked: BundleContext = {};
  for (const id of ids) {
    const bundle = context[String(id)];
    if (bundle !== undefined) picked[String(id)] = bundle;
  }
  return picked;
}
