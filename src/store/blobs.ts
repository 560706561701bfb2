import crypto from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';

/**
 * Large JSON values (bundles over the payload threshold) kept out of Temporal payloads.
 *
 * Content-addressed: the id is the sha256 of the JSON text, so storing the same value twice (a
 * replayed activity) is a no-op. Values are split into 1 MiB chunks addressed by `_id`
 * (`<id>:<n>`), the one query shape FerretDB serves from an index, and the manifest is written
 * last, so a manifest always means every chunk is there (reference/ferretdb-mongo.md §4.2).
 */
export const BLOB_CHUNK_CHARS = 1024 * 1024;

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
}
interface Chunk {
  _id: string;
  kind: 'chunk';
  data: string;
}

export class BlobStore {
  readonly collection: Collection<Manifest | Chunk>;

  constructor(db: Db) {
    this.collection = db.collection<Manifest | Chunk>('blobs');
  }

  async put(value: unknown): Promise<BlobRef> {
    const text = JSON.stringify(value);
    const id = crypto.createHash('sha256').update(text).digest('hex');
    const bytes = Buffer.byteLength(text);
    if (await this.collection.findOne({ _id: id })) return { $imexBlob: id, bytes };
    const chunks = Math.max(1, Math.ceil(text.length / BLOB_CHUNK_CHARS));
    for (let n = 0; n < chunks; n++) {
      const data = text.slice(n * BLOB_CHUNK_CHARS, (n + 1) * BLOB_CHUNK_CHARS);
      await insertIgnoringDuplicate(this.collection, { _id: `${id}:${n}`, kind: 'chunk', data });
    }
    await insertIgnoringDuplicate(this.collection, { _id: id, kind: 'manifest', chunks, bytes, createdAt: new Date() });
    return { $imexBlob: id, bytes };
  }

  async get(ref: BlobRef): Promise<unknown> {
    const manifest = (await this.collection.findOne({ _id: ref.$imexBlob })) as Manifest | null;
    if (!manifest) throw new Error(`blob ${ref.$imexBlob} is missing from the store`);
    let text = '';
    for (let n = 0; n < manifest.chunks; n++) {
      const chunk = (await this.collection.findOne({ _id: `${ref.$imexBlob}:${n}` })) as Chunk | null;
      if (!chunk) throw new Error(`blob ${ref.$imexBlob} is missing chunk ${n}`);
      text += chunk.data;
    }
    return JSON.parse(text) as unknown;
  }

  async delete(ref: BlobRef): Promise<void> {
    const manifest = (await this.collection.findOne({ _id: ref.$imexBlob })) as Manifest | null;
    if (!manifest) return;
    // Manifest first: a half-deleted blob is never taken for a whole one.
    await this.collection.deleteOne({ _id: ref.$imexBlob });
    for (let n = 0; n < manifest.chunks; n++) await this.collection.deleteOne({ _id: `${ref.$imexBlob}:${n}` });
  }
}

async function insertIgnoringDuplicate<T extends { _id: string }>(collection: Collection<T>, doc: T): Promise<void> {
  try {
    await collection.insertOne(doc as Parameters<Collection<T>['insertOne']>[0]);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
}
