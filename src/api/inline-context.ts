/**
 * An IE's stored bundles as a person and the planner see them: large ones, kept by reference in
 * blobs, read back. One place for `GET /dlqs/{id}/bundle` and the retry plan.
 */
import type { BundleContext } from '../domain';
import { isBlobRef, type IncompleteExecutionDocument, type Store } from '../store';

/** The stored bundles, large ones read back from their blobs (filters and mappings see the content). */
export async function inlineContext(store: Store, doc: IncompleteExecutionDocument): Promise<BundleContext> {
  const context = doc.context ? (JSON.parse(doc.context) as BundleContext) : {};
  const entries = await Promise.all(
    Object.entries(context).map(
      async ([id, bundle]) =>
        [id, isBlobRef(bundle) ? ((await store.blobs.get(bundle)) as BundleContext[string]) : bundle] as const,
    ),
  );
  return Object.fromEntries(entries);
}
