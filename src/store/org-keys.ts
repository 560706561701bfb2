/**
 * Per-organization data keys (envelope encryption, docs/security.md): each organization's user
 * data at rest is sealed with its own 32-byte data key, and the data key is stored wrapped
 * (AES-256-GCM) by the deployment's active master key. Rotating the master key re-wraps these
 * small keys (`rewrapOrgKeys`, `imex store rewrap`) instead of rewriting the data; deleting an
 * organization's document shreds its data.
 *
 *     org_keys: { _id: <orgId>, keys: [{ id, wrapped: 'enc:v1:<masterKeyId>:<base64>', createdAt, active }], rev }
 *
 * A key is created lazily and race-free: the first writer inserts the document, a concurrent
 * one loses the unique `_id` insert and reads the winner's key, so an organization has one key.
 * Unwrapped keys are kept in process memory for a short while (bounded), so a field costs no
 * read of this collection once warm.
 */
import crypto from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { DecryptionFailedError, open, seal } from '../crypto/aes-gcm';
import { Keyring, UnknownEncryptionKeyError } from '../crypto/keyring';
import { isDuplicateKeyError } from './duplicate-key';
import { SEALED_PREFIX, sealedKeyId } from './sealed-text';

export interface OrgKeyEntry {
  /** 8 hex digits, named by every field it seals. */
  id: string;
  /** The 32 bytes sealed by a master key: `enc:v1:<masterKeyId>:<base64>`. */
  wrapped: string;
  createdAt: Date;
  /** The key new fields are sealed with (one per organization). */
  active: boolean;
}

export interface OrgKeysDocument {
  _id: number;
  keys: OrgKeyEntry[];
  /** Bumped by every change, so a re-wrap replaces only what it read. */
  rev: number;
}

/** An organization's data key that cannot be used: not found, not unwrappable, or its master key is missing. */
export class OrgKeyUnavailableError extends Error {
  constructor(
    readonly orgId: number,
    readonly dataKeyId: string | undefined,
    readonly reason: string,
    /** The master key that wraps it, when that key is what is missing. */
    readonly masterKeyId?: string,
  ) {
    super(`the data key${dataKeyId ? ` "${dataKeyId}"` : ''} of organization ${orgId} cannot be used: ${reason}`);
    this.name = 'OrgKeyUnavailableError';
  }
}

/** An unwrapped data key as the cipher uses it: a one-key keyring whose id binds the organization. */
export interface OrgDataKey {
  orgId: number;
  id: string;
  keyring: Keyring;
}

/** The key id authenticated with each v2 field: the organization and the data key, so a field moved to another organization fails. */
export const dataKeyAad = (orgId: number, dataKeyId: string) => `org${orgId}.${dataKeyId}`;

const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX_ORGS = 1000;

export class OrgKeyStore {
  readonly collection: Collection<OrgKeysDocument>;
  private readonly cache = new Map<number, { at: number; active?: string; keys: Map<string, OrgDataKey> }>();

  constructor(
    db: Db,
    private readonly master: Keyring,
  ) {
    this.collection = db.collection<OrgKeysDocument>('org_keys');
  }

  /** The key new fields of the organization are sealed with; created on first use. */
  async activeKey(orgId: number): Promise<OrgDataKey> {
    const cached = this.cached(orgId);
    const activeId = cached?.active;
    if (activeId) {
      const key = cached.keys.get(activeId);
      if (key) return key;
    }
    const doc = (await this.collection.findOne({ _id: orgId })) ?? (await this.create(orgId));
    const entry = doc.keys.find((k) => k.active) ?? doc.keys[doc.keys.length - 1];
    if (!entry) throw new OrgKeyUnavailableError(orgId, undefined, 'its org_keys document lists no key');
    return this.remember(orgId, this.unwrapEntry(orgId, entry), true);
  }

  /** The data key a stored field names. */
  async key(orgId: number, dataKeyId: string): Promise<OrgDataKey> {
    const cached = this.cached(orgId)?.keys.get(dataKeyId);
    if (cached) return cached;
    const doc = await this.collection.findOne({ _id: orgId });
    const entry = doc?.keys.find((k) => k.id === dataKeyId);
    if (!entry) {
      throw new OrgKeyUnavailableError(
        orgId,
        dataKeyId,
        'it is not in the org_keys collection (deleted, or the database was restored without it)',
      );
    }
    return this.remember(orgId, this.unwrapEntry(orgId, entry), false);
  }

  /** Inserts a fresh key unless another process did first; answers the stored document either way. */
  private async create(orgId: number): Promise<OrgKeysDocument> {
    const doc: OrgKeysDocument = {
      _id: orgId,
      keys: [
        { id: newDataKeyId(), wrapped: wrap(this.master, crypto.randomBytes(32)), createdAt: new Date(), active: true },
      ],
      rev: 1,
    };
    try {
      await this.collection.insertOne(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const winner = await this.collection.findOne({ _id: orgId });
      if (!winner) throw err;
      return winner;
    }
  }

  /** The key an entry wraps; errors name the organization, the data key and the master key. */
  unwrapEntry(orgId: number, entry: OrgKeyEntry): OrgDataKey {
    try {
      return {
        orgId,
        id: entry.id,
        keyring: new Keyring([{ id: dataKeyAad(orgId, entry.id), key: unwrap(this.master, entry.wrapped) }]),
      };
    } catch (err) {
      if (err instanceof UnknownEncryptionKeyError) {
        throw new OrgKeyUnavailableError(orgId, entry.id, `its master key is missing: ${err.message}`, err.keyId);
      }
      if (err instanceof DecryptionFailedError || err instanceof WrappedKeyFormatError) {
        throw new OrgKeyUnavailableError(orgId, entry.id, `its wrapped form does not open: ${err.message}`);
      }
      throw err;
    }
  }

  private cached(orgId: number) {
    const entry = this.cache.get(orgId);
    if (entry && Date.now() - entry.at > CACHE_TTL_MS) {
      this.cache.delete(orgId);
      return undefined;
    }
    return entry;
  }

  private remember(orgId: number, key: OrgDataKey, active: boolean): OrgDataKey {
    let entry = this.cached(orgId);
    if (!entry) {
      if (this.cache.size >= CACHE_MAX_ORGS) this.cache.delete(this.cache.keys().next().value as number);
      entry = { at: Date.now(), keys: new Map() };
      this.cache.set(orgId, entry);
    }
    entry.keys.set(key.id, key);
    if (active) entry.active = key.id;
    return key;
  }
}

export interface RewrapReport {
  activeKeyId: string;
  organizations: number;
  rewrapped: number;
  current: number;
  changedMeanwhile: number;
}

/**
 * Wraps every organization's data keys with the active master key where another master key wraps
 * them; no user data is read or rewritten. A document is replaced only if it is still the one read
 * (`rev`), so it runs while imex runs and again after a crash. Throws naming the organization and
 * the data key when a key cannot be unwrapped: nothing of that organization is changed then.
 */
export async function rewrapOrgKeys(db: Db, master: Keyring): Promise<RewrapReport> {
  const collection = db.collection<OrgKeysDocument>('org_keys');
  const report: RewrapReport = {
    activeKeyId: master.active.id,
    organizations: 0,
    rewrapped: 0,
    current: 0,
    changedMeanwhile: 0,
  };
  const unwrapper = new OrgKeyStore(db, master);
  for await (const doc of collection.find({}).sort({ _id: 1 })) {
    report.organizations += 1;
    const stale = doc.keys.filter((k) => sealedKeyId(k.wrapped) !== master.active.id);
    report.current += doc.keys.length - stale.length;
    if (stale.length === 0) continue;
    const keys = doc.keys.map((k) =>
      stale.includes(k) ? { ...k, wrapped: wrap(master, unwrapper.unwrapEntry(doc._id, k).keyring.active.key) } : k,
    );
    const result = await collection.updateOne({ _id: doc._id, rev: doc.rev }, { $set: { keys, rev: doc.rev + 1 } });
    if (result.modifiedCount === 1) report.rewrapped += stale.length;
    else report.changedMeanwhile += 1;
  }
  return report;
}

class WrappedKeyFormatError extends Error {}

function wrap(master: Keyring, key: Buffer): string {
  const sealed = seal(master, key);
  return `${SEALED_PREFIX}${sealed.keyId}:${sealed.data.toString('base64')}`;
}

function unwrap(master: Keyring, wrapped: string): Buffer {
  const keyId = sealedKeyId(wrapped);
  if (keyId === undefined) throw new WrappedKeyFormatError('it is not "enc:v1:<masterKeyId>:<base64>"');
  const key = open(master, {
    keyId,
    data: Buffer.from(wrapped.slice(SEALED_PREFIX.length + keyId.length + 1), 'base64'),
  });
  if (key.length !== 32) throw new WrappedKeyFormatError(`it holds ${key.length} bytes, not 32`);
  return key;
}

function newDataKeyId(): string {
  return crypto.randomBytes(4).toString('hex');
}
