/**
 * Small payloads (DESIGN.md §8): a bundle whose JSON is larger than the threshold is kept in the
 * store and travels through Temporal as a reference. 64 KiB per bundle keeps an activity's input
 * (every bundle that can be mapped into a module) far below Temporal's 2 MiB payload limit for
 * ordinary scenarios; a run's result that would still carry more than 512 KiB inline sends every
 * bundle by reference.
 */
import type { BundleContext, BundleOrRef } from '../src/domain';
import { isBlobRef, type BlobStore } from '../src/store';

export const INLINE_BUNDLE_MAX_BYTES = 64 * 1024;
export const INLINE_RESULT_MAX_BYTES = 512 * 1024;

export async function toBundleOrRefs(blobs: BlobStore, bundles: Record<string, unknown>[]): Promise<BundleOrRef[]> {
  const sizes = bundles.map((b) => Buffer.byteLength(JSON.stringify(b)));
  const total = sizes.reduce((a, b) => a + b, 0);
  return Promise.all(
    bundles.map(async (bundle, i) => {
      const size = sizes[i] ?? 0;
      if (size > INLINE_BUNDLE_MAX_BYTES || (total > INLINE_RESULT_MAX_BYTES && size > 256)) {
        return { ...(await blobs.put(bundle)) };
      }
      return bundle;
    }),
  );
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
