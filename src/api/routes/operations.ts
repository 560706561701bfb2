/**
 * What an operator's tooling calls, outside `/api/v2` and without a token:
 *
 * - `GET /metrics`: Prometheus' text format: this process's imex metrics, the store figures
 *   (cached for seconds; not on a worker running alone), and the Temporal SDK's runtime metrics
 *   when the process runs a worker.
 * - `GET /health/live` (also `/healthz`): the process is up and serving.
 * - `GET /health/ready` (also `/readyz`): every dependency answers (store, Temporal, the worker
 *   polling); 503 naming the failing ones otherwise, within a few seconds.
 */
import type { FastifyPluginAsync } from 'fastify';
import { imexMetrics } from '../../observability/metrics';
import { checkReadiness, storeReadiness } from '../../observability/readiness';
import { createStoreGauges } from '../../observability/store-gauges';
import type { ApiDeps } from '../deps';

export const METRICS_PATH = '/metrics';
export const LIVENESS_PATHS = ['/health/live', '/healthz'];
export const READINESS_PATHS = ['/health/ready', '/readyz'];

/** What the operations routes read: the store (figures, readiness) and the process's operations. */
export type OperationsDeps = Pick<ApiDeps, 'store' | 'operations'>;

export const operationsRoutes: FastifyPluginAsync<OperationsDeps> = async (app, deps) => {
  const operations = deps.operations ?? {};
  const storeGauges = createStoreGauges(
    deps.store,
    operations.storeFiguresTtlMs === undefined ? {} : { ttlMs: operations.storeFiguresTtlMs },
  );
  const readiness = operations.readiness ?? [storeReadiness(deps.store)];
  const hidden = { config: { public: true }, schema: { hide: true } };

  app.get(METRICS_PATH, hidden, async (_request, reply) => {
    const registry = imexMetrics().registry;
    const parts = [await registry.metrics()];
    if (operations.storeFigures !== false) parts.push(await storeGauges.registry.metrics());
    if (operations.temporalMetrics) {
      const sdk = await operations.temporalMetrics.read();
      parts.push(
        '# HELP imex_temporal_sdk_metrics_up Whether the Temporal runtime metrics below could be read\n' +
          '# TYPE imex_temporal_sdk_metrics_up gauge\n' +
          `imex_temporal_sdk_metrics_up ${sdk ? 1 : 0}\n`,
        sdk,
      );
    }
    return reply.header('content-type', registry.contentType).send(parts.map(endWithNewline).join(''));
  });

  for (const path of LIVENESS_PATHS) {
    app.get(path, hidden, async () => ({ status: 'live' }));
  }
  for (const path of READINESS_PATHS) {
    app.get(path, hidden, async (_request, reply) => {
      const report = await checkReadiness(readiness);
      const failing = Object.entries(report.checks)
        .filter(([, r]) => !r.ok)
        .map(([name]) => name);
      return reply
        .status(report.ready ? 200 : 503)
        .send(
          report.ready
            ? { status: 'ready', checks: report.checks }
            : { status: 'unavailable', failing, checks: report.checks },
        );
    });
  }
};

function endWithNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}
