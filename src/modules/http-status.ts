/**
 * What an HTTP status means to Make, when `handleErrors` makes it an error (DESIGN.md §5–§6).
 */
import type { ErrorCategory } from '../domain';

/**
 * 429 → RateLimitError; 401/403 → InvalidAccessTokenError; 502/503/504 (and 408, 425: the
 * server asks to try again) → ConnectionError; any other 4xx → DataError, the request as
 * mapped is wrong and a person should fix it (400/404/409/422 are DESIGN.md's examples);
 * any other status (500, 501, …) → RuntimeError.
 */
export function categoryForStatus(statusCode: number): ErrorCategory {
  if (statusCode === 429) return 'RateLimitError';
  if (statusCode === 401 || statusCode === 403) return 'InvalidAccessTokenError';
  if ([408, 425, 502, 503, 504].includes(statusCode)) return 'ConnectionError';
  if (statusCode >= 400 && statusCode < 500) return 'DataError';
  return 'RuntimeError';
}

/** Make's "Evaluate all states as errors (except for 2xx and 3xx)". */
export function isErrorStatus(statusCode: number): boolean {
  return statusCode < 200 || statusCode >= 400;
}

/**
 * `Retry-After` as milliseconds from `nowMs`: delta-seconds (`120`) or an HTTP date
 * (`Wed, 21 Oct 2015 07:28:00 GMT`; a date in the past means "now", 0). Undefined if absent
 * or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined; // not an HTTP date either ("-5", "1.5")
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
