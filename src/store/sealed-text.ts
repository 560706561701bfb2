/**
 * The stored form of an encrypted text field (field-cipher.ts), kept apart so that blobs.ts can
 * read a sealed field's blob references without the cipher:
 *
 *     enc:v1:<keyId>:<base64 of nonce ‖ ciphertext ‖ tag>[ refs:<JSON array of blob references>]
 *
 * The trailer repeats the blob references of the plaintext (`{"$imexBlob":"<sha256>","bytes":n}`),
 * so blob collection and IE sizes keep working on encrypted fields (docs/security.md). Plaintext
 * JSON never starts with `enc:`, so old plaintext documents are told apart and read as they are.
 */
export const SEALED_PREFIX = 'enc:v1:';
export const REFS_MARK = ' refs:';

export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX);
}

/** The text whose blob references count: the plaintext itself, or a sealed field's trailer. */
export function blobRefsText(stored: string): string {
  if (!isSealed(stored)) return stored;
  const at = stored.indexOf(REFS_MARK);
  return at < 0 ? '' : stored.slice(at + REFS_MARK.length);
}

/** The key id a sealed field names; undefined for plaintext. */
export function sealedKeyId(stored: string): string | undefined {
  if (!isSealed(stored)) return undefined;
  const end = stored.indexOf(':', SEALED_PREFIX.length);
  return end < 0 ? undefined : stored.slice(SEALED_PREFIX.length, end);
}
