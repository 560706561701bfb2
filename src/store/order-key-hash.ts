/**
 * What the store keeps of a payload's order key (src/domain/order-key.ts): its SHA-256, in hex.
 * A key is derived from user data (a customer id), so it is not stored as it is; hashed rather
 * than sealed because the coordinator must query by it (sealing is randomized: the same key seals
 * differently each time). The queue entry and the IE of a run carry the same hash.
 */
import crypto from 'node:crypto';

export function hashOrderKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}
