/** The payloads of a raw Temporal history (as `fetchHistory()` returns it, nothing decoded), with where each sits. */
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export interface PayloadAt {
  /** e.g. `events[4].activityTaskScheduledEventAttributes.input.payloads[0]`. */
  path: string;
  payload: Payload;
}

function isPayload(value: object): value is Payload {
  const metadata = (value as { metadata?: unknown }).metadata;
  return (
    typeof metadata === 'object' &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    (metadata as Record<string, unknown>).encoding instanceof Uint8Array
  );
}

export function payloadsIn(value: unknown, path = '', found: PayloadAt[] = []): PayloadAt[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return found;
  if (isPayload(value)) {
    found.push({ path, payload: value });
    return found;
  }
  for (const [key, child] of Object.entries(value)) {
    payloadsIn(child, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key, found);
  }
  return found;
}

export const encodingOf = (payload: Payload) => Buffer.from(payload.metadata?.encoding ?? []).toString('utf8');

/** The history's exact bytes, as Temporal stores and serves them. */
export function historyBytes(history: temporal.api.history.v1.IHistory): Buffer {
  return Buffer.from(temporal.api.history.v1.History.encode(history).finish());
}
