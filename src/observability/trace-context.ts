/**
 * The current trace as a W3C `traceparent`, for work that leaves the request by way of the store
 * (a webhook payload waits in its queue; its run starts later, from the scenario's coordinator)
 * and should still be part of the request's trace. With tracing off no propagator is registered,
 * so nothing is injected and nothing is stored.
 */
import { ROOT_CONTEXT, context, propagation } from '@opentelemetry/api';

export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** `{ traceparent }` when there is an active trace, else `{}` (spread into a document or input). */
export function traceparentField(): { traceparent?: string } {
  const traceparent = activeTraceparent();
  return traceparent === undefined ? {} : { traceparent };
}

/**
 * Runs `fn` in the trace of the request that queued the work (its stored `traceparent`), or in
 * no trace when none was stored: never in the trace of whatever happens to be active, since one
 * delivery round can serve payloads that other requests queued.
 */
export function inQueuedTrace<T>(traceparent: string | undefined, fn: () => Promise<T>): Promise<T> {
  const queued = traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, { traceparent });
  return context.with(queued, fn);
}
