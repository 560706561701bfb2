/**
 * A server span per API request when tracing is on, continuing the caller's trace (W3C
 * `traceparent`). The span is made active for the handler, so what the handler starts (a workflow,
 * a signal, a queued webhook payload) and what it logs carry the request's trace.
 *
 * The context is entered twice: at `onRequest`, and again at `preHandler`, because a body is read
 * in the socket's callbacks, where the context entered at `onRequest` is not active.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export function installRequestTracing(app: FastifyInstance, tracer: Tracer): void {
  const contexts = new WeakMap<FastifyRequest, Context>();
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(context.active(), request.headers);
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0] ?? request.url,
        },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    contexts.set(request, active);
    context.with(active, done);
  });
  app.addHook('preHandler', (request, _reply, done) => {
    const active = contexts.get(request);
    if (active) context.with(active, done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const active = contexts.get(request);
    const span = active && trace.getSpan(active);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
