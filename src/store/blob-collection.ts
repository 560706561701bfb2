/**
 * Collecting blobs no one references (docs/blobs.md): mark and sweep with a grace period.
 *
 * Blobs are content-addressed and shared, and nothing counts their users, so a blob may go only
 * when both hold:
 * - **nothing stored references it**: no IE's bundles (`incomplete_executions.context`), no
 *   run's log (`executions.log`), no queued webhook payload (`webhook_queue.data`); these are the
 *   only stored fields that hold blob references;
 * - **nobody has `put` it for longer than the grace**: a run holds the references it makes only in
 *   Temporal's history until it parks its IE or records its log, so a blob younger than any run
 *   could take may still be on its way to a referencer. A `put` of an existing blob touches it.
 *
 * Candidates (manifests unused for the grace) are taken in bounded batches in `_id` order (a
 * referenced candidate never hides the ones after it); the referencers are
 * scanned once per batch for references to them; the unreferenced ones are deleted through
 * `BlobStore.deleteUnused`, which keeps a blob a `put` touched during the sweep. A referencer
 * written after the scan can only hold a candidate it got from a `put` (which touches the blob,
 * so the sweep keeps it) or from another stored referencer (which the scan saw).
 */
import type { Db } from 'mongodb';
import type { BlobStore } from './blobs';

/** A stored text field (JSON) that may hold blob references. */
export interface BlobReferencer {
  collection: string;
  field: string;
}

/** Every stored field that may hold blob references: a new one must be added here. */
export const BLOB_REFERENCERS: readonly BlobReferencer[] = [
  { collection: 'incomplete_executions', field: 'context' },
  { collection: 'executions', field: 'log' },
  { collection: 'webhook_queue', field: 'data' },
];

export interface BlobCollectionReport {
  /** Candidates looked at (unused for the grace). */
  candidates: number;
  deleted: number;
  deletedBytes: number;
  /** Candidates something still references. */
  referenced: number;
  /** Candidates touched by a `put` while the sweep ran (kept). */
  touched: number;
  /** Sweep marks of earlier sweeps removed. */
  marksForgotten: number;
  /** The last candidate of a full batch (the next batch starts after it), or null when there are no more. */
  nextAfterId: string | null;
}

/** `"$imexBlob":"<id>"` as JSON.stringify writes it, escaped any number of times (JSON inside JSON). */
const REF_PATTERN = /\$imexBlob\\*"\s*:\s*\\*"([0-9a-f]{64})/g;

/** The blob ids referenced in a text. */
export function blobIdsIn(text: string): Set<string> {
  return new Set([...text.matchAll(REF_PATTERN)].map((m) => m[1] as string));
}

export async function collectUnusedBlobs(
  db: Db,
  blobs: BlobStore,
  options: { graceMs: number; limit: number; afterId?: string; now?: Date; heartbeat?: () => void },
): Promise<BlobCollectionReport> {
  const now = options.now ?? new Date();
  const before = new Date(now.getTime() - options.graceMs);
  const report: BlobCollectionReport = {
    candidates: 0,
    deleted: 0,
    deletedBytes: 0,
    referenced: 0,
    touched: 0,
    marksForgotten: options.afterId ? 0 : await blobs.forgetSweepMarks(now),
    nextAfterId: null,
  };
  const candidates = await blobs.unusedSince(before, options.limit, options.afterId);
  report.candidates = candidates.length;
  if (candidates.length === options.limit) report.nextAfterId = candidates[candidates.length - 1]!.id;
  if (candidates.length === 0) return report;

  // Mark: every candidate some stored referencer names.
  const wanted = new Set(candidates.map((c) => c.id));
  const referenced = new Set<string>();
  for (const { collection, field } of BLOB_REFERENCERS) {
    const cursor = db
      .collection(collection)
      .find({ [field]: { $regex: '\\$imexBlob' } }, { projection: { _id: 0, [field]: 1 }, batchSize: 100 });
    for await (const doc of cursor) {
      const text = doc[field];
      if (typeof text !== 'string') continue;
      for (const id of blobIdsIn(text)) if (wanted.has(id)) referenced.add(id);
      options.heartbeat?.();
    }
  }

  // Sweep: the rest, each unless a put touched it meanwhile.
  for (const { id, bytes } of candidates) {
    if (referenced.has(id)) {
      report.referenced += 1;
      continue;
    }
    if (await blobs.deleteUnused(id, before)) {
      report.deleted += 1;
      report.deletedBytes += bytes;
    } else {
      report.touched += 1;
    }
    options.heartbeat?.();
  }
  return report;
}
