/**
 * The current trace as a W3C `traceparent`, for work that leaves the request by way of the store
 * (a webhook payload waits in its queue; its run starts later, from the scenario's coordinator)
 * and should still be part of the request's trace. With tracing off no propagator is registered,
 * so nothing is injected and nothing is stored.
 */
import { context, propagation } from '@opentelemetry/api';

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
