/**
 * At-rest encryption of the store's user-data text fields (docs/security.md): with a keyring, each
 * field of an organization is sealed with that organization's data key (envelope encryption,
 * org-keys.ts) into `enc:v2:<orgId>:<dataKeyId>:<base64>`, other fields with the active master key
 * into `enc:v1:<keyId>:<base64>` (AES-256-GCM, src/crypto/aes-gcm.ts; sealed-text.ts); each is
 * opened on read with the key it names; fields
 * stored in plaintext (before encryption was switched on, or without a keyring) are read as they
 * are, so no migration is needed.
 *
 * Never silently empty: a sealed field whose key is not configured, or that does not authenticate,
 * throws {@link StoredDataUnreadableError} naming the key id and what to do.
 */
import { open, seal, DecryptionFailedError } from '../crypto/aes-gcm';
import { UnknownEncryptionKeyError, type Keyring } from '../crypto/keyring';
import { blobIdsIn } from './blob-collection';
import { blobRefsIn } from './blobs';
import { dataKeyAad, OrgKeyUnavailableError, type OrgKeyStore } from './org-keys';
import { isSealed, SEALED_PREFIX, SEALED_V2_PREFIX, sealedParts, REFS_MARK } from './sealed-text';

/** A sealed field that cannot be read: its key is missing or wrong, or it was altered. */
export class StoredDataUnreadableError extends Error {
  constructor(
    /** The master key id (v1 fields, or the master key an organization's data key needs) or the data key id (v2). */
    readonly keyId: string,
    reason: string,
    readonly orgId?: number,
  ) {
    super(
      orgId === undefined
        ? `stored data encrypted with key "${keyId}" cannot be read: ${reason}`
        : `stored data of organization ${orgId} encrypted with key "${keyId}" cannot be read: ${reason}`,
    );
    this.name = 'StoredDataUnreadableError';
  }
}

export class FieldCipher {
  constructor(
    readonly keyring?: Keyring,
    /** Per-organization data keys: with them, a field written for an organization is sealed with its key (v2). */
    readonly orgKeys?: OrgKeyStore,
  ) {}

  /** Whether new writes are encrypted. */
  get enabled(): boolean {
    return this.keyring !== undefined;
  }

  /**
   * A text to store: sealed with the organization's data key when `orgId` is given (v2), else with
   * the active master key (v1), blob references repeated in clear; as it is without a keyring.
   */
  async seal(text: string, orgId?: number): Promise<string> {
    if (!this.keyring) return text;
    if (orgId !== undefined && this.orgKeys) {
      const dataKey = await this.orgKeys.activeKey(orgId).catch((err: unknown) => unreadable(err));
      const sealed = seal(dataKey.keyring, Buffer.from(text, 'utf8'));
      return `${SEALED_V2_PREFIX}${orgId}:${dataKey.id}:${sealed.data.toString('base64')}${refsTrailer(text)}`;
    }
    const sealed = seal(this.keyring, Buffer.from(text, 'utf8'));
    return `${SEALED_PREFIX}${sealed.keyId}:${sealed.data.toString('base64')}${refsTrailer(text)}`;
  }

  /** The plaintext of a stored text; plaintext passes through. */
  async open(stored: string): Promise<string> {
    if (!isSealed(stored)) return stored;
    const parts = sealedParts(stored);
    if (!parts) throw new StoredDataUnreadableError('?', 'its "enc:" header is damaged');
    if (!this.keyring) {
      const keyId = parts.version === 1 ? parts.keyId : parts.dataKeyId;
      const orgId = parts.version === 2 ? parts.orgId : undefined;
      throw new StoredDataUnreadableError(
        keyId,
        'no encryption keys are configured; set IMEX_ENCRYPTION_KEYS or IMEX_ENCRYPTION_KEY_FILE with the master key',
        orgId,
      );
    }
    const data = Buffer.from(parts.body, 'base64');
    if (parts.version === 1) return openWith(this.keyring, parts.keyId, data);
    if (!this.orgKeys) {
      throw new StoredDataUnreadableError(
        parts.dataKeyId,
        'this store was opened without organization keys',
        parts.orgId,
      );
    }
    const dataKey = await this.orgKeys.key(parts.orgId, parts.dataKeyId).catch((err: unknown) => unreadable(err));
    return openWith(dataKey.keyring, dataKeyAad(parts.orgId, parts.dataKeyId), data, parts);
  }

  async sealJson(value: unknown, orgId?: number): Promise<string> {
    return this.seal(JSON.stringify(value), orgId);
  }

  async openJson<T>(stored: string): Promise<T> {
    return JSON.parse(await this.open(stored)) as T;
  }

  /**
   * Whether a stored text should be sealed again: plaintext with a keyring; for a field of an
   * organization (`orgId`), anything not sealed with an organization's data key; otherwise a v1
   * field sealed with a master key other than the active one. A v2 field is never stale: master
   * key rotation re-wraps its data key instead (`rewrapOrgKeys`).
   */
  isStale(stored: string, orgId?: number): boolean {
    if (!this.keyring) return false;
    const parts = sealedParts(stored);
    if (!parts) return true;
    if (parts.version === 2) return false;
    return (orgId !== undefined && this.orgKeys !== undefined) || parts.keyId !== this.keyring.active.id;
  }
}

function openWith(keyring: Keyring, keyId: string, data: Buffer, v2?: { orgId: number; dataKeyId: string }): string {
  try {
    return open(keyring, { keyId, data }).toString('utf8');
  } catch (err) {
    if (err instanceof UnknownEncryptionKeyError || err instanceof DecryptionFailedError) {
      if (v2) {
        throw new StoredDataUnreadableError(
          v2.dataKeyId,
          'it does not authenticate: it was altered, or copied from another organization',
          v2.orgId,
        );
      }
      throw new StoredDataUnreadableError(keyId, err.message);
    }
    throw err;
  }
}

/** An organization's data key that cannot be had, as the store's readers report unreadable data. */
function unreadable(err: unknown): never {
  if (err instanceof OrgKeyUnavailableError) {
    throw new StoredDataUnreadableError(err.masterKeyId ?? err.dataKeyId ?? '?', err.message, err.orgId);
  }
  throw err;
}

/** ` refs:[…]` with the plaintext's blob references (escaped ones too, for collection), or nothing. */
function refsTrailer(text: string): string {
  if (!text.includes('$imexBlob')) return '';
  const refs = blobRefsIn(text);
  for (const id of blobIdsIn(text)) if (!refs.has(id)) refs.set(id, 0);
  if (refs.size === 0) return '';
  return `${REFS_MARK}${JSON.stringify([...refs].map(([id, bytes]) => ({ $imexBlob: id, bytes })))}`;
}
