/**
 * The stored form of an encrypted text field (field-cipher.ts), kept apart so that blobs.ts can
 * read a sealed field's blob references without the cipher:
 *
 *     enc:v1:<masterKeyId>:<base64 of nonce ‖ ciphertext ‖ tag>[ refs:<JSON array of blob references>]
 *     enc:v2:<orgId>:<dataKeyId>:<base64 of nonce ‖ ciphertext ‖ tag>[ refs:…]
 *
 * v1 is sealed with a master key (fields without an organization, and everything written before
 * per-organization keys); v2 with the organization's data key (org-keys.ts). The trailer repeats
 * the blob references of the plaintext (`{"$imexBlob":"<sha256>","bytes":n}`), so blob collection
 * and IE sizes keep working on encrypted fields (docs/security.md). Plaintext JSON never starts
 * with `enc:`, so old plaintext documents are told apart and read as they are.
 */
export const SEALED_PREFIX = 'enc:v1:';
export const SEALED_V2_PREFIX = 'enc:v2:';
export const REFS_MARK = ' refs:';

export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX) || stored.startsWith(SEALED_V2_PREFIX);
}

/** A sealed field's parts: who sealed it, and its ciphertext (base64, without the refs trailer). */
export type SealedParts =
  { version: 1; keyId: string; body: string } | { version: 2; orgId: number; dataKeyId: string; body: string };

/** The parts of a sealed field; undefined for plaintext, or a sealed field that lost its header. */
export function sealedParts(stored: string): SealedParts | undefined {
  const end = stored.indexOf(REFS_MARK);
  const head = end < 0 ? stored : stored.slice(0, end);
  if (head.startsWith(SEALED_PREFIX)) {
    const [keyId, body] = head.slice(SEALED_PREFIX.length).split(':');
    return keyId && body !== undefined ? { version: 1, keyId, body } : undefined;
  }
  if (head.startsWith(SEALED_V2_PREFIX)) {
    const [org, dataKeyId, body] = head.slice(SEALED_V2_PREFIX.length).split(':');
    const orgId = Number(org);
    return Number.isSafeInteger(orgId) && dataKeyId && body !== undefined
      ? { version: 2, orgId, dataKeyId, body }
      : undefined;
  }
  return undefined;
}

/** The text whose blob references count: the plaintext itself, or a sealed field's trailer. */
export function blobRefsText(stored: string): string {
  if (!isSealed(stored)) return stored;
  const at = stored.indexOf(REFS_MARK);
  return at < 0 ? '' : stored.slice(at + REFS_MARK.length);
}

/** The master key id a v1 field names; undefined for plaintext and v2 fields. */
export function sealedKeyId(stored: string): string | undefined {
  const parts = sealedParts(stored);
  return parts?.version === 1 ? parts.keyId : undefined;
}
