/**
 * The keys that encrypt user data (Temporal payloads today): AES-256 keys, each with an id that
 * every ciphertext names, so keys can rotate. The first key is the active one (it encrypts); the
 * others only decrypt what they encrypted before.
 *
 * Text form, as `IMEX_ENCRYPTION_KEYS` and `IMEX_ENCRYPTION_KEY_FILE` hold it: entries
 * `<id>:<base64 of 32 bytes>`, separated by commas or new lines, `#` starts a comment.
 */
import crypto from 'node:crypto';

export interface EncryptionKey {
  id: string;
  /** 32 bytes (AES-256). */
  key: Buffer;
}

/** Ids travel in payload metadata and docs: short, printable, no separators of the text form. */
export const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_BYTES = 32;

/** A ciphertext names a key this deployment does not have (removed too early, or another deployment's). */
export class UnknownEncryptionKeyError extends Error {
  constructor(
    readonly keyId: string,
    known: readonly string[],
  ) {
    super(
      `data was encrypted with key "${keyId}", which is not configured (configured: ${known.join(', ')}); ` +
        'add it back to IMEX_ENCRYPTION_KEYS or IMEX_ENCRYPTION_KEY_FILE',
    );
    this.name = 'UnknownEncryptionKeyError';
  }
}

/** A bad entry in the key text; never quotes key material. */
export class EncryptionKeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionKeyFormatError';
  }
}

export class Keyring {
  private readonly byId: Map<string, EncryptionKey>;

  constructor(keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new EncryptionKeyFormatError('no encryption key given');
    this.byId = new Map();
    for (const key of keys) {
      if (!keyIdPattern.test(key.id))
        throw new EncryptionKeyFormatError(`key id "${key.id}" must match ${keyIdPattern}`);
      if (key.key.length !== KEY_BYTES) {
        throw new EncryptionKeyFormatError(`key "${key.id}" must be ${KEY_BYTES} bytes, got ${key.key.length}`);
      }
      if (this.byId.has(key.id)) throw new EncryptionKeyFormatError(`key id "${key.id}" is given twice`);
      this.byId.set(key.id, key);
    }
    this.active = keys[0] as EncryptionKey;
  }

  /** The key new data is encrypted with. */
  readonly active: EncryptionKey;

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  /** The key a ciphertext names; {@link UnknownEncryptionKeyError} when it is not configured. */
  get(id: string): EncryptionKey {
    const key = this.byId.get(id);
    if (!key) throw new UnknownEncryptionKeyError(id, this.ids);
    return key;
  }
}

/** Parses the text form; the first entry is the active key. */
export function parseKeyring(text: string): Keyring {
  const entries = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return new Keyring(
    entries.map((entry, index) => {
      const separator = entry.indexOf(':');
      if (separator <= 0) throw new EncryptionKeyFormatError(`entry ${index + 1} is not "<id>:<base64 key>"`);
      const id = entry.slice(0, separator).trim();
      const encoded = entry.slice(separator + 1).trim();
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
        throw new EncryptionKeyFormatError(`key "${id}" is not base64 (make one with: openssl rand -base64 32)`);
      }
      return { id, key: Buffer.from(encoded, 'base64') };
    }),
  );
}

/** A fresh key entry in the text form, e.g. `k20261202-1a2b3c:…`. */
export function generateKeyEntry(prefix = 'k'): string {
  const date = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const id = `${prefix}${date}-${crypto.randomBytes(3).toString('hex')}`;
  return `${id}:${crypto.randomBytes(KEY_BYTES).toString('base64')}`;
}
