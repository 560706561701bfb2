/**
 * What a request with an `Idempotency-Key` asked for, as a short digest: the same key sent again
 * with another body is a client's mistake (the IETF draft answers it with 422), and answering it
 * with the first request's verdict would silently drop what the second one carried.
 *
 * The body's JSON with every object's keys sorted, so a resend that serialises its object in
 * another order is the same request.
 */
import crypto from 'node:crypto';

export function requestFingerprint(body: unknown): string {
  const canonical = JSON.stringify(body ?? null, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : value,
  );
  return crypto.createHash('sha256').update(canonical).digest('base64url').slice(0, 32);
}
