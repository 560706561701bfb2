/**
 * The payload codec that encrypts everything imex hands to Temporal (workflow and activity inputs
 * and results, signals, updates, queries, memos, summaries, failure details): the whole Payload
 * proto, sealed with AES-256-GCM under the keyring's active key, its key id in the metadata.
 *
 * Decoding passes payloads that are not encrypted through unchanged: histories recorded before
 * encryption was on keep replaying, and workflows started then keep running.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CIPHER_NAME, open, seal } from '../crypto/aes-gcm';
import type { Keyring } from '../crypto/keyring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** An encrypted payload that names no key cannot be decrypted by anyone. */
export class MalformedEncryptedPayloadError extends Error {
  constructor(reason: string) {
    super(`encrypted payload is malformed: ${reason}`);
    this.name = 'MalformedEncryptedPayloadError';
  }
}

export function isEncryptedPayload(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: Keyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const sealed = seal(this.keyring, temporal.api.common.v1.Payload.encode(payload).finish());
      return {
        metadata: {
          encoding: utf8(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: utf8(sealed.keyId),
          [CIPHER_METADATA]: utf8(CIPHER_NAME),
        },
        data: sealed.data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncryptedPayload(payload)) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new MalformedEncryptedPayloadError(`no ${KEY_ID_METADATA} in its metadata`);
      const cipher = text(payload.metadata?.[CIPHER_METADATA]);
      if (cipher !== undefined && cipher !== CIPHER_NAME) {
        throw new MalformedEncryptedPayloadError(`cipher "${cipher}" is not ${CIPHER_NAME}`);
      }
      const plaintext = open(this.keyring, { keyId, data: Buffer.from(payload.data ?? new Uint8Array()) });
      return temporal.api.common.v1.Payload.decode(plaintext);
    });
  }
}
