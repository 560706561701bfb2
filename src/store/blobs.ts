import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { BSON, type Collection, type Db } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';
import type { FieldCipher } from './field-cipher';
import { blobRefsText, SEALED_PREFIX } from './sealed-text';

/** AES-GCM's nonce and tag around each sealed chunk (src/crypto/aes-gcm.ts). */
const SEAL_OVERHEAD_BYTES = 12 + 16;

/**
 * Large JSON values (bundles over the payload threshold) kept out of Temporal payloads.
 *
 * Content-addressed: the id is the sha256 of the JSON text, so storing the same value twice (a
 * replayed activity, two runs with the same data) stores it once and both share it. Values are
 * split into 1 MiB chunks addressed by `_id` (`<id>:<n>`), the one query shape FerretDB serves
 * from an index, and the manifest is written last, so a manifest always means every chunk is
 * there (reference/ferretdb-mongo.md §4.2).
 *
 * **Collection** (docs/blobs.md). Nothing counts a blob's users: maintenance deletes a blob that no
 * IE, execution log or queued webhook references and that nobody has `put` for longer than the
 * grace (`lastUsedAt`; a `put` of a blob that exists touches it). A deletion and a `put` of the
 * same blob are fenced by a *sweep mark* (`blob_sweeps`, `_id` = the blob id, a unique insert):
 * the sweep inserts the mark, then reads `lastUsedAt`; a `put` touches `lastUsedAt`, then reads
 * the mark. Whichever comes second sees the other, so either the sweep keeps the blob or the
 * `put` waits for the sweep to finish and writes the blob whole again. Marks stay for
 * `SWEEP_MARK_KEEP_MS` after the sweep, longer than any `put` can take between its two steps.
 */
export const BLOB_CHUNK_CHARS = 1024 * 1024;

/** How long a sweep mark stays after its sweep: longer than any `put` between its touch and its mark check. */
export const SWEEP_MARK_KEEP_MS = 30 * 60_000;
/** A sweep mark not finished after this is taken as a crashed sweep: a `put` then writes the blob again. */
export const SWEEP_MARK_STALE_MS = 60_000;
/** A sweep stops deleting a blob once this has passed since its mark (well within the stale time). */
const SWEEP_DELETE_WITHIN_MS = 20_000;

export interface BlobRef {
  $imexBlob: string;
  bytes: number;
}

export function isBlobRef(value: unknown): value is BlobRef {
  return (
    typeof value === 'object' && value !== null && typeof (value as { $imexBlob?: unknown }).$imexBlob === 'string'
  );
}

interface Manifest {
  _id: string;
  kind: 'manifest';
  chunks: number;
  bytes: number;
  createdAt: Date;
  /** The last `put` of this value (absent on blobs written before collection existed: `createdAt`). */
  lastUsedAt?: Date;
}
interface Chunk {
  _id: string;
  kind: 'chunk';
  data: string;
}
interface SweepMark {
  /** The blob id. */
  _id: string;
  /** Unique per sweep, so a `put` can tell one sweep from the next. */
  nonce: string;
  at: Date;
  done: boolean;
}

/** BSON bytes of a chunk document holding no data, and of a manifest (what a blob costs beyond its text). */
const CHUNK_OVERHEAD_BYTES = BSON.calculateObjectSize({ _id: `${'0'.repeat(64)}:00`, kind: 'chunk', data: '' });
const MANIFEST_BYTES = BSON.calculateObjectSize({
  _id: '0'.repeat(64),
  kind: 'manifest',
  chunks: 1,
  bytes: 1,
  createdAt: new Date(0),
  lastUsedAt: new Date(0),
});

/** What a blob of `bytes` JSON bytes occupies in the store: its chunks and its manifest. */
export function blobStoredBytes(bytes: number): number {
  const chunks = Math.max(1, Math.ceil(bytes / BLOB_CHUNK_CHARS));
  return bytes + chunks * CHUNK_OVERHEAD_BYTES + MANIFEST_BYTES;
}

/**
 * The distinct blobs referenced anywhere in a JSON text (a stored context, a log, a queued
 * payload), with the bytes each reference says it holds. Cheap when there are none.
 */
export function blobRefsIn(stored: string | undefined): Map<string, number> {
  const refs = new Map<string, number>();
  // A sealed field repeats its references in clear after the ciphertext (sealed-text.ts).
  const text = stored === undefined ? undefined : blobRefsText(stored);
  if (!text || !text.includes('"$imexBlob"')) return refs;
  JSON.parse(text, (_key, value: unknown) => {
    if (isBlobRef(value)) refs.set(value.$imexBlob, Number((value as BlobRef).bytes) || 0);
    return value;
  });
  return refs;
}

export class BlobStore {
  readonly collection: Collection<Manifest | Chunk>;
  readonly sweeps: Collection<SweepMark>;
  /** How often a `put` looks again while a sweep of the same blob runs. */
  private readonly sweepPollMs: number;

  /** Seals each chunk's text at rest (field-cipher.ts); without a keyring, chunks are plaintext. */
  private readonly cipher?: FieldCipher;

  constructor(db: Db, options: { sweepPollMs?: number; cipher?: FieldCipher } = {}) {
    this.collection = db.collection<Manifest | Chunk>('blobs');
    this.sweeps = db.collection<SweepMark>('blob_sweeps');
    this.sweepPollMs = options.sweepPollMs ?? 100;
    this.cipher = options.cipher;
  }

  /**
   * Stores the value (or touches it when stored already) and answers its reference. When it
   * answers, the blob is whole and no sweep deletes it before the grace has passed again.
   */
  async put(value: unknown): Promise<BlobRef> {
    const text = JSON.stringify(value);
    const id = crypto.createHash('sha256').update(text).digest('hex');
    const bytes = storedChunkBytes(text, this.cipher);
    let settled: string | null = null;
    for (let whole = false; ; whole = true) {
      if (whole || !(await this.touch(id))) await this.write(id, text, bytes);
      const mark = await this.sweeps.findOne({ _id: id });
      if (!mark || mark.nonce === settled) return { $imexBlob: id, bytes };
      // A sweep of this blob runs or ran around our write: wait until it is over, then write it whole again.
      settled = await this.waitForSweep(mark);
    }
  }

  async get(ref: BlobRef): Promise<unknown> {
    const manifest = (await this.collection.findOne({ _id: ref.$imexBlob })) as Manifest | null;
    if (!manifest) throw new Error(`blob ${ref.$imexBlob} is missing from the store`);
    let text = '';
    for (let n = 0; n < manifest.chunks; n++) {
      const chunk = (await this.collection.findOne({ _id: `${ref.$imexBlob}:${n}` })) as Chunk | null;
      if (!chunk) throw new Error(`blob ${ref.$imexBlob} is missing chunk ${n}`);
      text += this.cipher ? await this.cipher.open(chunk.data) : chunk.data;
    }
    return JSON.parse(text) as unknown;
  }

  /** Whether the blob's manifest exists (so the blob is whole). */
  async exists(id: string): Promise<boolean> {
    return (await this.collection.findOne({ _id: id }, { projection: { _id: 1 } })) !== null;
  }

  /** Manifests not `put` since `before`, in `_id` order after `afterId`, at most `limit` (sweep candidates). */
  async unusedSince(before: Date, limit: number, afterId = ''): Promise<{ id: string; bytes: number }[]> {
    const docs = (await this.collection
      .find(
        {
          _id: { $gt: afterId },
          kind: 'manifest',
          $or: [{ lastUsedAt: { $lt: before } }, { lastUsedAt: { $exists: false }, createdAt: { $lt: before } }],
        },
        { projection: { _id: 1, bytes: 1 } },
      )
      .sort({ _id: 1 })
      .limit(limit)
      .toArray()) as Manifest[];
    return docs.map((doc) => ({ id: doc._id, bytes: doc.bytes }));
  }

  /**
   * Deletes the blob if nobody has `put` it since `before` (the caller has checked that nothing
   * references it). Fenced against a concurrent `put` by the sweep mark. Answers whether it deleted.
   */
  async deleteUnused(id: string, before: Date): Promise<boolean> {
    const mark: SweepMark = { _id: id, nonce: crypto.randomBytes(8).toString('hex'), at: new Date(), done: false };
    try {
      await this.sweeps.insertOne(mark);
    } catch (err) {
      if (isDuplicateKeyError(err)) return false; // another sweep has it, or its mark is still kept
      throw err;
    }
    const started = Date.now();
    const manifest = (await this.collection.findOne({ _id: id })) as Manifest | null;
    const lastUsed = manifest?.lastUsedAt ?? manifest?.createdAt;
    if (!manifest || !lastUsed || lastUsed >= before) {
      // Touched (or gone) meanwhile: nothing deleted, so the mark fences nothing.
      await this.sweeps.deleteOne({ _id: id, nonce: mark.nonce });
      return false;
    }
    // Manifest first: a half-deleted blob is never taken for a whole one.
    await this.collection.deleteOne({ _id: id });
    for (let n = 0; n < manifest.chunks; n++) {
      // A put that found our mark stale rewrites the blob: stop well before it may.
      if (Date.now() - started > SWEEP_DELETE_WITHIN_MS) break;
      await this.collection.deleteOne({ _id: `${id}:${n}` });
    }
    await this.sweeps.updateOne({ _id: id, nonce: mark.nonce }, { $set: { done: true, at: new Date() } });
    return true;
  }

  /** Removes sweep marks older than the keep time (finished or crashed sweeps). */
  async forgetSweepMarks(now = new Date()): Promise<number> {
    const result = await this.sweeps.deleteMany({ at: { $lt: new Date(now.getTime() - SWEEP_MARK_KEEP_MS) } });
    return result.deletedCount;
  }

  /** Marks the blob used now; answers false when its manifest does not exist. */
  private async touch(id: string): Promise<boolean> {
    const result = await this.collection.updateOne({ _id: id, kind: 'manifest' }, { $set: { lastUsedAt: new Date() } });
    return result.matchedCount === 1;
  }

  /** Every chunk, then the manifest (or a touch of it when it exists). */
  private async write(id: string, text: string, bytes: number): Promise<void> {
    const chunks = Math.max(1, Math.ceil(text.length / BLOB_CHUNK_CHARS));
    for (let n = 0; n < chunks; n++) {
      // Each chunk sealed on its own: a retried write that keeps some chunks of an earlier try
      // (other nonces) still reads back whole.
      const plain = text.slice(n * BLOB_CHUNK_CHARS, (n + 1) * BLOB_CHUNK_CHARS);
      const data = this.cipher ? await this.cipher.seal(plain) : plain;
      await insertIgnoringDuplicate(this.collection, { _id: `${id}:${n}`, kind: 'chunk', data });
    }
    const now = new Date();
    const manifest: Manifest = { _id: id, kind: 'manifest', chunks, bytes, createdAt: now, lastUsedAt: now };
    if (!(await insertIgnoringDuplicate(this.collection, manifest))) await this.touch(id);
  }

  /** Waits until the sweep of `mark` is done (or taken as crashed); answers its nonce. */
  private async waitForSweep(mark: SweepMark): Promise<string> {
    for (let current: SweepMark | null = mark; current && current.nonce === mark.nonce && !current.done;) {
      if (Date.now() - current.at.getTime() > SWEEP_MARK_STALE_MS) break;
      await sleep(this.sweepPollMs);
      current = await this.sweeps.findOne({ _id: mark._id });
    }
    return mark.nonce;
  }
}

/**
 * The bytes a blob's chunks hold as stored: its JSON, or with a keyring each chunk sealed (base64,
 * nonce, tag, prefix). References carry this, so IE sizes and the quota count what is kept.
 */
function storedChunkBytes(text: string, cipher: FieldCipher | undefined): number {
  const bytes = Buffer.byteLength(text);
  const keyId = cipher?.keyring?.active.id;
  if (keyId === undefined) return bytes;
  let stored = 0;
  for (let at = 0; at < Math.max(1, text.length); at += BLOB_CHUNK_CHARS) {
    const chunkBytes = Buffer.byteLength(text.slice(at, at + BLOB_CHUNK_CHARS));
    stored += SEALED_PREFIX.length + keyId.length + 1 + 4 * Math.ceil((chunkBytes + SEAL_OVERHEAD_BYTES) / 3);
  }
  return stored;
}

/** Inserts the document; answers false when one with its `_id` exists already. */
async function insertIgnoringDuplicate<T extends { _id: string }>(collection: Collection<T>, doc: T): Promise<boolean> {
  try {
    await collection.insertOne(doc as Parameters<Collection<T>['insertOne']>[0]);
    return true;
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    return false;
  }
}
