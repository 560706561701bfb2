/**
 * The organization's IE storage limit as the park activity reads it: cached per process for a
 * few seconds, because every park needs it and it almost never changes.
 *
 * Why that is safe: the ledger enforces, exactly, the limit each reservation carries; a cached
 * limit only moves the moment a change takes effect by at most `ttlMs`. A lowered limit may admit
 * parks up to the old one for that long (as if it had been lowered a few seconds later); nothing
 * is lost or charged twice. A raised limit must not refuse a park (a refusal deactivates the
 * scenario or drops the bundle), so the park asks again with `fresh` before it takes a refusal.
 */
import { DEFAULT_IE_QUOTA_BYTES, type Store } from '../src/store';

export interface QuotaLimits {
  limit(orgId: number, options?: { fresh?: boolean }): Promise<number>;
}

export function createQuotaLimits(store: Store, ttlMs = 5_000): QuotaLimits {
  const cached = new Map<number, { limit: number; at: number }>();
  return {
    async limit(orgId, { fresh = false } = {}) {
      const hit = cached.get(orgId);
      if (!fresh && hit && performance.now() - hit.at < ttlMs) return hit.limit;
      const org = await store.organizations.get(orgId);
      const limit = org?.ieQuotaBytes ?? DEFAULT_IE_QUOTA_BYTES;
      cached.set(orgId, { limit, at: performance.now() });
      return limit;
    },
  };
}
