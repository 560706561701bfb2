/**
 * Flow control's expressions when the workflow cannot evaluate them itself: a filter, or a
 * directive's mapper (Resume's substitute output, Break's settings), that maps a bundle kept in
 * the store by reference (`{ $imexBlob }`). The workflow evaluates inline bundles itself (no
 * activity, nothing in history); only references need this cheap activity, which reads them.
 */
import {
  evaluateFilter,
  evaluateMapping,
  ImlMappingError,
  type BundleContext,
  type BundleOrRef,
  type Filter,
  type MappingScope,
} from '../src/domain';
import type { BlobStore } from '../src/store';
import { resolveContext, toBundleOrRefs } from './bundle-refs';
import { activityMappingEnvironment } from './mapping-environment';
import { RUNAWAY_HINT, TimeBoundExceededError, withinTimeBound } from '../src/modules/time-bound';

export interface FlowExpressionsInput {
  /** Only the bundles the expressions map from. */
  context: BundleContext;
  filter?: Filter;
  mapper?: Record<string, unknown>;
  /** The run's time zone and variables; `seed` names the place (see src/domain/mapping-scope.ts). */
  scope?: MappingScope;
  seed?: string;
  /** A confidential scenario's run: the mapped bundle travels by reference. */
  confidential?: true;
}

export interface FlowExpressionsOutput {
  /** Whether the bundle passes `filter` (true without one). */
  passes: boolean;
  /** `mapper` evaluated: inline, or a reference when large. */
  mapped?: BundleOrRef;
  /** Set when an expression failed (Make's DataError text): the filter does not pass, the mapper maps nothing. */
  error?: string;
}

export function createEvaluateFlowExpressions({ blobs }: { blobs: BlobStore }) {
  return async function evaluateFlowExpressions(input: FlowExpressionsInput): Promise<FlowExpressionsOutput> {
    const context = await resolveContext(blobs, input.context);
    const env = activityMappingEnvironment(input.scope, input.seed ?? '');
    let passes: boolean;
    let mapped: Record<string, unknown>;
    try {
      // Bounded in time as well as in units: a regular expression can backtrack without end (time-bound.ts).
      passes = withinTimeBound(() => evaluateFilter(input.filter, context, env));
      if (!input.mapper) return { passes };
      const mapper = input.mapper;
      mapped = withinTimeBound(() => evaluateMapping(mapper, context, env)) as Record<string, unknown>;
    } catch (err) {
      // A data problem, not an outage: retrying would fail alike. The workflow notes it.
      if (err instanceof ImlMappingError) return { passes: false, error: err.message };
      if (err instanceof TimeBoundExceededError)
        return { passes: false, error: `evaluating ${err.message} (${RUNAWAY_HINT})` };
      throw err;
    }
    const [stored] = await toBundleOrRefs(blobs, [mapped], {}, { byReference: input.confidential });
    return { passes, mapped: stored ?? mapped };
  };
}
