/**
 * Idempotency keys of webhooks (`Idempotency-Key` header, docs/api.md): a sender that resends
 * after a timeout gets the first acceptance back (same execution id) and nothing is queued twice.
 *
 * One document per hook and key (`_id` = `<hookId>:<key>`), claimed by a unique-key insert before
 * the payload is queued (race-free on FerretDB, whose updates are not atomic) and completed with
 * the payload's sequence number once it is durable. The claim already fixes the execution id, so
 * even a claim whose request died between queueing and completing (taken over by a resend once
 * stale) can only queue the same run again, which the run's workflow id (`run-<executionId>`,
 * reuse rejected) starts once. Keys are kept for the retention window, then maintenance removes them.
 */
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';
import { newExecutionId } from './webhook-queue';

/** How long a key is remembered (at least; maintenance removes it after). */
export const WEBHOOK_IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60_000;
/** A claim not completed for this long belongs to a request that died: a resend takes it over. */
export const WEBHOOK_IDEMPOTENCY_STALE_MS = 30_000;

interface IdempotencyKeyDocument {
  _id: string;
  hookId: string;
  scenarioId: number;
  executionId: string;
  /** The payload's fingerprint (request-fingerprint.ts); absent on keys claimed before it was kept. */
  fingerprint?: string;
  /** Set once the payload is durable in the queue. */
  seq?: number;
  createdAt: Date;
  claimedAt: Date;
}

export type IdempotencyClaim =
  /** Ours: queue the payload with this execution id, then `complete` (or `release` if refused). */
  | { state: 'claimed'; executionId: string; claimedAt: Date }
  /** Accepted before: answer this, queue nothing. */
  | { state: 'accepted'; scenarioId: number; executionId: string; seq: number }
  /** Another request with this key is being accepted right now. */
  | { state: 'in-flight' }
  /** The key was claimed for another payload: a client's mistake, refused so this payload is not dropped silently. */
  | { state: 'reused' };

function keyId(hookId: string, key: string): string {
  return `${hookId}:${key}`;
}

export class WebhookIdempotencyStore {
  readonly keys: Collection<IdempotencyKeyDocument>;

  constructor(db: Db) {
    this.keys = db.collection<IdempotencyKeyDocument>('webhook_idempotency_keys');
  }

  async claim(
    hookId: string,
    key: string,
    scenarioId: number,
    fingerprint: string,
    now = new Date(),
  ): Promise<IdempotencyClaim> {
    const doc: IdempotencyKeyDocument = {
      _id: keyId(hookId, key),
      hookId,
      scenarioId,
      executionId: newExecutionId(scenarioId),
      fingerprint,
      createdAt: now,
      claimedAt: now,
    };
    try {
      await this.keys.insertOne(doc);
      return { state: 'claimed', executionId: doc.executionId, claimedAt: now };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const existing = await this.keys.findOne({ _id: doc._id });
    if (!existing) return { state: 'in-flight' }; // released just now: the caller asks again
    if (existing.fingerprint !== undefined && existing.fingerprint !== fingerprint) return { state: 'reused' };
    if (existing.seq !== undefined) {
      return {
        state: 'accepted',
        scenarioId: existing.scenarioId,
        executionId: existing.executionId,
        seq: existing.seq,
      };
    }
    if (now.getTime() - existing.claimedAt.getTime() < WEBHOOK_IDEMPOTENCY_STALE_MS) return { state: 'in-flight' };
    // Stale: its request died. Take it over with the same execution id (at worst the same run is
    // queued twice, and started once).
    await this.keys.updateOne({ _id: doc._id }, { $set: { claimedAt: now, fingerprint } });
    return { state: 'claimed', executionId: existing.executionId, claimedAt: now };
  }

  /** The payload is durable: the key now answers this acceptance. */
  async complete(hookId: string, key: string, seq: number): Promise<void> {
    await this.keys.updateOne({ _id: keyId(hookId, key) }, { $set: { seq } });
  }

  /** Nothing was queued (refused): the key is free for the next request. */
  async release(hookId: string, key: string, claimedAt: Date): Promise<void> {
    await this.keys.deleteOne({ _id: keyId(hookId, key), seq: { $exists: false }, claimedAt });
  }

  /** Forgets keys older than the retention (maintenance). */
  async purgeOlderThan(cutoff: Date): Promise<number> {
    const { deletedCount } = await this.keys.deleteMany({ createdAt: { $lt: cutoff } });
    return deletedCount;
  }
}
