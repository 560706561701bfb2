/**
 * Flow control's expressions when the workflow cannot evaluate them itself: a filter, or a
 * directive's mapper (Resume's substitute output, Break's settings), that maps a bundle kept in
 * the store by reference (`{ $imexBlob }`). The workflow evaluates inline bundles itself (no
 * activity, nothing in history); only references need this cheap activity, which reads them.
 */
import { evaluateFilter, evaluateMapping, type BundleContext, type BundleOrRef, type Filter } from '../src/domain';
import type { BlobStore } from '../src/store';
import { resolveContext, toBundleOrRefs } from './bundle-refs';

export interface FlowExpressionsInput {
  /** Only the bundles the expressions map from. */
  context: BundleContext;
  filter?: Filter;
  mapper?: Record<string, unknown>;
}

export interface FlowExpressionsOutput {
  /** Whether the bundle passes `filter` (true without one). */
  passes: boolean;
  /** `mapper` evaluated: inline, or a reference when large. */
  mapped?: BundleOrRef;
}

export function createEvaluateFlowExpressions({ blobs }: { blobs: BlobStore }) {
  return async function evaluateFlowExpressions(input: FlowExpressionsInput): Promise<FlowExpressionsOutput> {
    const context = await resolveContext(blobs, input.context);
    const passes = evaluateFilter(input.filter, context);
    if (!input.mapper) return { passes };
    const mapped = evaluateMapping(input.mapper, context) as Record<string, unknown>;
    const [stored] = await toBundleOrRefs(blobs, [mapped]);
    return { passes, mapped: stored ?? mapped };
  };
}
