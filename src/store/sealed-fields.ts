/**
 * Every stored field that holds user data and is sealed at rest (field-cipher.ts), and the
 * re-encryption step: it seals again each such field that is plaintext (stored before encryption
 * was on), a field of an organization still sealed with a master key (v1, before organization
 * keys: it moves to the organization's data key, v2), or a field without an organization sealed
 * with a master key other than the active one, so an old master key can be dropped afterwards
 * once `rewrapOrgKeys` has run too. Each field is replaced only if it still holds what was read (a concurrent
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

/**
 * A stored text field, by collection and field name (the same shape blob collection scans), and
 * where its organization is, when it has one: such a field is sealed with the organization's data
 * key (org-keys.ts); the others with the master key.
 */
export type SealedField = BlobReferencer & {
  /** The document's organization: its `orgId`, or the `orgId` of the document `via` names in `from`. */
  org?: { via: 'orgId' } | { via: string; from: string };
};

const ownOrg = { via: 'orgId' } as const;

/**
 * A new user-data field must be added here (and sealed by its store). Without `org`: blobs are
 * shared by content across organizations (blobs.ts), and a run's staged data-store writes, its
 * commits, the e-mail sent log and webhook responses are keyed by run or operation, not organization.
 */
export const SEALED_FIELDS: readonly SealedField[] = [
  { collection: 'scenarios', field: 'blueprint', org: ownOrg },
  { collection: 'incomplete_executions', field: 'blueprint', org: ownOrg },
  { collection: 'incomplete_executions', field: 'context', org: ownOrg },
  { collection: 'executions', field: 'log', org: ownOrg },
  { collection: 'webhook_queue', field: 'data', org: ownOrg },
  { collection: 'blobs', field: 'data' },
  { collection: 'data_store_records', field: 'data', org: { via: 'storeId', from: 'data_stores' } },
  { collection: 'data_store_steps', field: 'writes' },
  { collection: 'data_store_commits', field: 'effect' },
  { collection: 'ie_changes', field: 'data', org: ownOrg },
  { collection: 'email_sends', field: 'output' },
  { collection: 'connections', field: 'secret', org: ownOrg },
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
  for (const { collection, field, org } of SEALED_FIELDS) {
    const counts = { resealed: 0, current: 0, changedMeanwhile: 0 };
    report.fields[`${collection}.${field}`] = counts;
    const docs = db.collection<{ _id: unknown } & Record<string, unknown>>(collection);
    const projection = { _id: 1, [field]: 1, ...(org ? { [org.via]: 1 } : {}) };
    const cursor = docs.find({ [field]: { $exists: true } }, { projection, batchSize: 100 });
    const orgs = new Map<unknown, number | undefined>();
    for await (const doc of cursor) {
      const stored = doc[field];
      if (typeof stored !== 'string') continue;
      const orgId = org ? await orgOf(db, org, doc, orgs) : undefined;
      if (!cipher.isStale(stored, orgId)) {
        counts.current += 1;
        continue;
      }
      const resealed = await cipher.seal(await cipher.open(stored), orgId);
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

/** The organization of a document of a field with `org` (looked up once per referenced document). */
async function orgOf(
  db: Db,
  org: NonNullable<SealedField['org']>,
  doc: Record<string, unknown>,
  known: Map<unknown, number | undefined>,
): Promise<number | undefined> {
  const value = doc[org.via];
  if (!('from' in org)) return typeof value === 'number' ? value : undefined;
  if (!known.has(value)) {
    const owner = await db.collection(org.from).findOne({ _id: value as never });
    known.set(value, typeof owner?.orgId === 'number' ? owner.orgId : undefined);
  }
  return known.get(value);
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
