/**
 * The bodies of IE requests sent with an `Idempotency-Key` (retry, resolve, PATCH): one document per
 * request id (derived from the organization, the IE, the kind and the key), holding the body's
 * fingerprint. The IE's workflow and change log already answer a repeated request with the first
 * verdict; this store tells a repeat apart from a different request under the same key, which the
 * API refuses (422) instead of dropping what it carried.
 *
 * A unique-key insert decides which body a key belongs to, so two different bodies sent at once
 * cannot both pass (FerretDB's updates are not atomic; its inserts are). Kept for the retention,
 * then maintenance removes them: after that a repeat is still answered by the change log, only a
 * different body under an old key is no longer told apart.
 */
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';

/** How long a key's body is remembered (at least; maintenance removes it after). */
export const REQUEST_KEY_RETENTION_MS = 7 * 24 * 60 * 60_000;

interface RequestKeyDocument {
  /** The request id the IE's workflow remembers (`key-<digest>`). */
  _id: string;
  fingerprint: string;
  createdAt: Date;
}

/** `first`: the key's first request; `same`: a repeat of it; `different`: another body under the key. */
export type RequestKeyUse = 'first' | 'same' | 'different';

export class RequestKeyStore {
  readonly keys: Collection<RequestKeyDocument>;

  constructor(db: Db) {
    this.keys = db.collection<RequestKeyDocument>('request_idempotency_keys');
  }

  async use(requestId: string, fingerprint: string, now = new Date()): Promise<RequestKeyUse> {
    try {
      await this.keys.insertOne({ _id: requestId, fingerprint, createdAt: now });
      return 'first';
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const existing = await this.keys.findOne({ _id: requestId });
    // Purged between the insert and the read: the key is as good as new.
    if (!existing) return 'first';
    return existing.fingerprint === fingerprint ? 'same' : 'different';
  }

  /** Forgets keys older than the retention (maintenance). */
  async purgeOlderThan(cutoff: Date): Promise<number> {
    const { deletedCount } = await this.keys.deleteMany({ createdAt: { $lt: cutoff } });
    return deletedCount;
  }
}
