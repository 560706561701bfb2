/**
 * AES-256-GCM with a keyring: `seal` encrypts with the active key, `open` decrypts with the key the
 * sealed data names. Sealed bytes are `nonce (12) ‖ ciphertext ‖ tag (16)`; the key id is bound as
 * additional authenticated data, so a ciphertext relabelled with another key id fails like a
 * tampered one.
 */
import crypto from 'node:crypto';
import type { Keyring } from './keyring';

export const CIPHER_NAME = 'AES-256-GCM';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Sealed data that does not authenticate: altered, truncated, or sealed with other key material. */
export class DecryptionFailedError extends Error {
  constructor(readonly keyId: string) {
    super(
      `data encrypted with key "${keyId}" does not authenticate: it was altered, or the key with that id is not the one that encrypted it`,
    );
    this.name = 'DecryptionFailedError';
  }
}

export interface Sealed {
  keyId: string;
  data: Buffer;
}

export function seal(keyring: Keyring, plaintext: Uint8Array): Sealed {
  const { id, key } = keyring.active;
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(id, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { keyId: id, data: Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]) };
}

/** Throws UnknownEncryptionKeyError for a key id not in the keyring, {@link DecryptionFailedError} on tampering. */
export function open(keyring: Keyring, sealed: Sealed): Buffer {
  const { key } = keyring.get(sealed.keyId);
  const data = sealed.data;
  if (data.length < NONCE_BYTES + TAG_BYTES) throw new DecryptionFailedError(sealed.keyId);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(Buffer.from(sealed.keyId, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptionFailedError(sealed.keyId);
  }
}
