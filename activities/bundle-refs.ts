/**
 * Small payloads (DESIGN.md §8, docs/blobs.md): no payload imex hands to Temporal carries more
 * than `INLINE_PAYLOAD_MAX_BYTES` of bundles inline, whatever path built it (a module's output, a
 * park, an attempt's input, a failed attempt's result). Larger data is kept in the store
 * (BlobStore) and travels as a reference `{ $imexBlob, bytes }` of under 100 bytes.
 *
 * Three bounds keep it so:
 * - a bundle whose JSON is over `INLINE_BUNDLE_MAX_BYTES` (64 KiB) always goes by reference;
 * - a context (the bundles that can be mapped into a module, which every later activity input,
 *   a park and an attempt carry) holds at most `INLINE_CONTEXT_MAX_BYTES` (256 KiB) inline: a
 *   module's output bundle that would take its context past it goes by reference, and a stored
 *   context is brought under it before an attempt starts (`boundContext`);
 * - a module's result that would carry more than `INLINE_RESULT_MAX_BYTES` inline sends every
 *   bundle over 256 bytes by reference.
 * 256 KiB of context leaves the other half of the 512 KiB for the blueprint, the error and the
 * run's bookkeeping; Temporal refuses payloads over 2 MiB and gRPC messages over 4 MiB.
 */
import type { BundleContext, BundleOrRef } from '../src/domain';
import { isBlobRef, type BlobStore } from '../src/store';

export const INLINE_PAYLOAD_MAX_BYTES = 512 * 1024;
export const INLINE_BUNDLE_MAX_BYTES = 64 * 1024;
export const INLINE_CONTEXT_MAX_BYTES = 256 * 1024;
export const INLINE_RESULT_MAX_BYTES = 512 * 1024;

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * How bundles travel: `byReference` sends every bundle by reference, whatever its size (a
 * confidential scenario's run: its module data never sits in a Temporal payload, docs/security.md).
 */
export interface BundleTravel {
  byReference?: boolean;
}

/**
 * A module's output bundles as they travel: inline when small, else by reference. `context` is
 * the context the bundles are added to (each bundle, one at a time), whose inline bytes count
 * against `INLINE_CONTEXT_MAX_BYTES`.
 */
export async function toBundleOrRefs(
  blobs: BlobStore,
  bundles: Record<string, unknown>[],
  context: BundleContext = {},
  travel: BundleTravel = {},
): Promise<BundleOrRef[]> {
  const contextBytes = jsonBytes(context);
  const sizes = bundles.map((b) => jsonBytes(b));
  const total = sizes.reduce((a, b) => a + b, 0);
  return Promise.all(
    bundles.map(async (bundle, i) => {
      const size = sizes[i] ?? 0;
      if (
        travel.byReference ||
        size > INLINE_BUNDLE_MAX_BYTES ||
        contextBytes + size > INLINE_CONTEXT_MAX_BYTES ||
        (total > INLINE_RESULT_MAX_BYTES && size > 256)
      ) {
        return { ...(await blobs.put(bundle)) };
      }
      return bundle;
    }),
  );
}

/**
 * The context with its largest inline bundles moved to the store until what stays inline fits
 * `INLINE_CONTEXT_MAX_BYTES` (a stored context may hold more: many bundles of up to 64 KiB, an
 * edit, one stored before the bound).
 */
export async function boundContext(
  blobs: BlobStore,
  context: BundleContext,
  travel: BundleTravel = {},
): Promise<BundleContext> {
  const bounded: BundleContext = { ...context };
  const inline = Object.entries(context)
    .filter(([, bundle]) => !isBlobRef(bundle))
    .map(([moduleId, bundle]) => ({ moduleId, bundle, size: jsonBytes(bundle) }))
    .sort((a, b) => b.size - a.size);
  let bytes = jsonBytes(context);
  for (const { moduleId, bundle, size } of inline) {
    if (!travel.byReference && bytes <= INLINE_CONTEXT_MAX_BYTES && size <= INLINE_BUNDLE_MAX_BYTES) continue;
    const ref = { ...(await blobs.put(bundle)) };
    bounded[moduleId] = ref;
    bytes -= size - jsonBytes(ref);
  }
  return bounded;
}

export async function resolveBundle(blobs: BlobStore, value: unknown): Promise<unknown> {
  return isBlobRef(value) ? blobs.get(value) : value;
}

export async function resolveContext(blobs: BlobStore, context: BundleContext): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(context).map(async ([moduleId, bundle]) => [moduleId, await resolveBundle(blobs, bundle)] as const),
  );
  return Object.fromEntries(entries);
}
