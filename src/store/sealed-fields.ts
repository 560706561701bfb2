/**
 * Every stored field that holds user data and is sealed at rest (field-cipher.ts), and the
 * re-encryption step that rotation uses: it seals again, with the active key, each such field that
 * is plaintext (stored before encryption was on) or sealed with another key, so an old key can be
 * dropped afterwards. Each field is replaced only if it still holds what was read (a concurrent
 * write used the active key already), so it runs safely while imex runs, and again after a crash.
 *
 * Plaintext by design (the store must query or show them): ids, org/scenario ids, statuses,
 * timestamps, error types, sizes, data-store record keys, names, IE error messages. Order keys
 * (`webhook_queue.orderKey`, `incomplete_executions.orderKey`) are derived from user data and kept
 * as SHA-256 hashes, not sealed: the coordinator queries them (order-key-hash.ts).
 */
import type { Db } from 'mongodb';
import type { BlobReferencer } from './blob-collection';
import type { FieldCipher } from './field-cipher';
import { storedSize } from './incomplete-executions';

/** A stored text field, by collection and field name (the same shape blob collection scans). */
export type SealedField = BlobReferencer;

/** A new user-data field must be added here (and sealed by its store). */
export const SEALED_FIELDS: readonly SealedField[] = [
  { collection: 'scenarios', field: 'blueprint' },
  { collection: 'incomplete_executions', field: 'blueprint' },
  { collection: 'incomplete_executions', field: 'context' },
  { collection: 'executions', field: 'log' },
  { collection: 'webhook_queue', field: 'data' },
  { collection: 'blobs', field: 'data' },
  { collection: 'data_store_records', field: 'data' },
  { collection: 'data_store_steps', field: 'writes' },
  { collection: 'data_store_commits', field: 'effect' },
  { collection: 'ie_changes', field: 'data' },
  { collection: 'email_sends', field: 'output' },
  { collection: 'connections', field: 'secret' },
  { collection: 'webhook_responses', field: 'body' },
];

export interface ReencryptReport {
  /** Per `collection.field`: fields sealed again, and fields that held what the active key sealed already. */
  fields: Record<string, { resealed: number; current: number; changedMeanwhile: number }>;
  activeKeyId: string;
}

/**
 * Seals every user-data field again with the active key where it is not sealed with it. Throws
 * (naming the key id) on a field it cannot open: nothing is rewritten from data it could not read.
 */
export async function reencryptStoredData(
  db: Db,
  cipher: FieldCipher,
  options: { progress?: () => void } = {},
): Promise<ReencryptReport> {
  const keyring = cipher.keyring;
  if (!keyring)
    throw new Error('no encryption keys are configured: set IMEX_ENCRYPTION_KEYS or IMEX_ENCRYPTION_KEY_FILE');
  const report: ReencryptReport = { fields: {}, activeKeyId: keyring.active.id };
  for (const { collection, field } of SEALED_FIELDS) {
    const counts = { resealed: 0, current: 0, changedMeanwhile: 0 };
    report.fields[`${collection}.${field}`] = counts;
    const docs = db.collection<{ _id: unknown } & Record<string, unknown>>(collection);
    const cursor = docs.find({ [field]: { $exists: true } }, { projection: { _id: 1, [field]: 1 }, batchSize: 100 });
    for await (const doc of cursor) {
      const stored = doc[field];
      if (typeof stored !== 'string') continue;
      if (!cipher.isStale(stored)) {
        counts.current += 1;
        continue;
      }
      const resealed = cipher.seal(cipher.open(stored));
      const result = await docs.updateOne({ _id: doc._id, [field]: stored }, { $set: { [field]: resealed } });
      if (result.modifiedCount === 1) {
        counts.resealed += 1;
        if (collection === 'incomplete_executions') await resizeIncompleteExecution(db, doc._id);
      } else counts.changedMeanwhile += 1;
      options.progress?.();
    }
  }
  return report;
}

/**
 * An IE's `size` counts its stored (sealed) bytes: set it from what is stored now, unless a
 * concurrent write changed the fields meanwhile (that write set its own size). The quota ledger
 * follows at the next reconciliation (maintenance), which takes the documents' sizes.
 */
async function resizeIncompleteExecution(db: Db, ieId: unknown): Promise<void> {
  if (typeof ieId !== 'string') return;
  const ies = db.collection<{ _id: string; blueprint?: string; context?: string; size?: number }>(
    'incomplete_executions',
  );
  const doc = await ies.findOne({ _id: ieId }, { projection: { blueprint: 1, context: 1, size: 1 } });
  if (!doc) return;
  const size = storedSize(doc.blueprint ?? '', doc.context ?? '');
  if (size === doc.size) return;
  await ies.updateOne(
    { _id: ieId, blueprint: doc.blueprint ?? { $exists: false }, context: doc.context ?? { $exists: false } },
    { $set: { size } },
  );
}
