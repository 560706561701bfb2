/**
 * Counts every answered request and its duration by method, route pattern (never the raw URL:
 * ids stay out of the labels) and status code.
 */
import type { FastifyInstance } from 'fastify';
import { imexMetrics } from '../observability/metrics';

export function installRequestMetrics(app: FastifyInstance): void {
  const metrics = imexMetrics();
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    metrics.httpRequests.inc({ method, route, status_code: String(reply.statusCode) });
    metrics.httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
  });
}
