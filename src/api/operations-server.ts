/**
 * The HTTP server of a worker running alone (`IMEX_ROLE=worker`): only what an operator's tooling
 * scrapes and probes (`/metrics`, `/health/live`, `/health/ready`), no API, no token, no web page.
 * The same routes as the API process serves (routes/operations.ts), so one scrape config and one
 * probe fit every imex process.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../logger';
import { operationsRoutes, type OperationsDeps } from './routes/operations';

export async function createOperationsServer(deps: OperationsDeps & { logger: Logger }): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'operations' }) as FastifyBaseLogger,
    // A scrape every few seconds is not news.
    logController: new LogController({ disableRequestLogging: true }),
  });
  await app.register(operationsRoutes, {
    store: deps.store,
    ...(deps.operations ? { operations: deps.operations } : {}),
  });
  return app;
}
