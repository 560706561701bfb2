/**
 * At-rest encryption of the store's user-data text fields (docs/security.md): with a keyring, each
 * field is sealed with the active key (AES-256-GCM, src/crypto/aes-gcm.ts) into
 * `enc:v1:<keyId>:<base64>` (sealed-text.ts) and opened on read with the key it names; fields
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
import { isSealed, REFS_MARK, SEALED_PREFIX, sealedKeyId } from './sealed-text';

/** A sealed field that cannot be read: its key is missing or wrong, or it was altered. */
export class StoredDataUnreadableError extends Error {
  constructor(
    readonly keyId: string,
    reason: string,
  ) {
    super(`stored data encrypted with key "${keyId}" cannot be read: ${reason}`);
    this.name = 'StoredDataUnreadableError';
  }
}

export class FieldCipher {
  constructor(readonly keyring?: Keyring) {}

  /** Whether new writes are encrypted. */
  get enabled(): boolean {
    return this.keyring !== undefined;
  }

  /** A text to store: sealed with the active key (blob references repeated in clear), or as it is without a keyring. */
  seal(text: string): string {
    if (!this.keyring) return text;
    const sealed = seal(this.keyring, Buffer.from(text, 'utf8'));
    return `${SEALED_PREFIX}${sealed.keyId}:${sealed.data.toString('base64')}${refsTrailer(text)}`;
  }

  /** The plaintext of a stored text; plaintext passes through. */
  open(stored: string): string {
    if (!isSealed(stored)) return stored;
    const keyId = sealedKeyId(stored) ?? '?';
    if (!this.keyring) {
      throw new StoredDataUnreadableError(
        keyId,
        'no encryption keys are configured; set IMEX_ENCRYPTION_KEYS or IMEX_ENCRYPTION_KEY_FILE with that key',
      );
    }
    const body = stored.slice(SEALED_PREFIX.length + keyId.length + 1);
    const end = body.indexOf(REFS_MARK);
    const data = Buffer.from(end < 0 ? body : body.slice(0, end), 'base64');
    try {
      return open(this.keyring, { keyId, data }).toString('utf8');
    } catch (err) {
      if (err instanceof UnknownEncryptionKeyError || err instanceof DecryptionFailedError) {
        throw new StoredDataUnreadableError(keyId, err.message);
      }
      throw err;
    }
  }

  sealJson(value: unknown): string {
    return this.seal(JSON.stringify(value));
  }

  openJson<T>(stored: string): T {
    return JSON.parse(this.open(stored)) as T;
  }

  /** Whether a stored text should be sealed again: plaintext with a keyring, or sealed with a key other than the active one. */
  isStale(stored: string): boolean {
    if (!this.keyring) return false;
    return sealedKeyId(stored) !== this.keyring.active.id;
  }
}

/** ` refs:[…]` with the plaintext's blob references (escaped ones too, for collection), or nothing. */
function refsTrailer(text: string): string {
  if (!text.includes('$imexBlob')) return '';
  const refs = blobRefsIn(text);
  for (const id of blobIdsIn(text)) if (!refs.has(id)) refs.set(id, 0);
  if (refs.size === 0) return '';
  return `${REFS_MARK}${JSON.stringify([...refs].map(([id, bytes]) => ({ $imexBlob: id, bytes })))}`;
}
