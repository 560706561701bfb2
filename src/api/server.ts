/**
 * The HTTP API: Make's shapes under `/api/v2`, on Fastify. It only translates HTTP into store reads
 * and imex client calls; every request schema is zod, and the OpenAPI document at
 * `/api/v2/openapi.json` is generated from the same schemas.
 *
 * `createApiServer` returns the instance without listening: the caller decides where
 * (`await app.listen({ host, port })`) and closes it on shutdown (`await app.close()`).
 */
import fastifySwagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  createJsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { findForbiddenJsonKeys, formatPath } from '../domain';
import { apiScopes } from '../store';
import { installAuth } from './auth';
import type { ApiDeps } from './deps';
import { installErrorHandling, validationError } from './errors';
import { dataStoreRecordRoutes } from './routes/data-store-records';
import { organizationRoutes } from './routes/organizations';
import { dataStoreRoutes } from './routes/data-stores';
import { dataStructureRoutes } from './routes/data-structures';
import { codecRoutes } from './routes/codec';
import { connectionRoutes } from './routes/connections';
import { dlqRoutes } from './routes/dlqs';
import { dlqPlanRoutes } from './routes/dlqs-plans';
import { hookRoutes } from './routes/hooks';
import { operationsRoutes } from './routes/operations';
import { alertRoutes } from './routes/alerts';
import { installRequestMetrics } from './request-metrics';
import { installRequestTracing } from './request-tracing';
import { bulkDlqRoutes } from './routes/dlqs-bulk';
import { bulkQueryDlqRoutes } from './routes/dlqs-bulk-query';
import { scenarioRoutes } from './routes/scenarios';
import { webRoutes } from './routes/web';
import { installRequestValidation, zodValidatorCompiler } from './validation';

export const API_BASE_PATH = '/api/v2';
export const OPENAPI_PATH = `${API_BASE_PATH}/openapi.json`;

/**
 * Largest accepted request body: 16 MiB. A PATCH or resolve may carry a few MB of bundles (they
 * travel to Temporal by reference, never inline); a blueprint at its module limit is about 1 MB.
 * Larger bodies answer 413 `IM_PAYLOAD_TOO_LARGE` naming the limit.
 */
export const DEFAULT_API_BODY_LIMIT = 16 * 1024 * 1024;

export interface ApiServerOptions {
  /** Largest accepted request body in bytes; default {@link DEFAULT_API_BODY_LIMIT}. */
  bodyLimit?: number;
}

export async function createApiServer(deps: ApiDeps, options: ApiServerOptions = {}): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_API_BODY_LIMIT;
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'api' }) as FastifyBaseLogger,
    // Quiet by default: failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    // For any parser but ours (which checks more, below): prototype poisoning is refused, never parsed.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Make's paging is `pg[offset]`, sent as is; Fastify's default parser keeps such keys flat.
    routerOptions: { ignoreTrailingSlash: true },
  });

  if (deps.operations?.tracer) installRequestTracing(app, deps.operations.tracer);
  installRequestMetrics(app);
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app, deps.logger, { bodyLimit });
  installRequestValidation(app);
  acceptEmptyJsonBodies(app);
  installAuth(app, deps.store.apiTokens, API_BASE_PATH);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'imex API',
        description:
          "Make-compatible API for scenarios, incomplete executions and data stores. Send `Authorization: Token <token>`; each route's summary names the scope it needs.",
        version: '2',
      },
      components: {
        securitySchemes: {
          token: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: `"Token <token>". Scopes: ${apiScopes.join(', ')}`,
          },
        },
      },
    },
    transform: withScopes(
      createJsonSchemaTransform({ skipList: [OPENAPI_PATH], zodToJsonConfig: { unrepresentable: 'any' } }),
    ),
    transformObject: jsonSchemaTransformObject,
  });

  await app.withTypeProvider<ZodTypeProvider>().register(
    async (api) => {
      api.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => api.swagger());
      await api.register(scenarioRoutes, deps);
      await api.register(dlqRoutes, deps);
      await api.register(dlqPlanRoutes, deps);
      await api.register(bulkDlqRoutes, deps);
      await api.register(bulkQueryDlqRoutes, deps);
      await api.register(dataStructureRoutes, deps);
      await api.register(dataStoreRoutes, deps);
      await api.register(dataStoreRecordRoutes, deps);
      await api.register(alertRoutes, deps);
      await api.register(organizationRoutes, deps);
      await api.register(connectionRoutes, deps);
    },
    { prefix: API_BASE_PATH },
  );
  await app.withTypeProvider<ZodTypeProvider>().register(hookRoutes, deps);
  await app.withTypeProvider<ZodTypeProvider>().register(codecRoutes, deps);
  await app.register(webRoutes);
  await app.register(operationsRoutes, deps);

  return app;
}

type SwaggerTransform = ReturnType<typeof createJsonSchemaTransform>;

/** Each route's scope, from the one place routes declare it, as `security` and `x-scope`. */
function withScopes(transform: SwaggerTransform): SwaggerTransform {
  return (input) => {
    const output = transform(input);
    const scope = (input.route?.config as { scope?: string } | undefined)?.scope;
    if (!scope || !output.schema) return output;
    return { ...output, schema: { ...output.schema, security: [{ token: [] }], 'x-scope': scope } };
  };
}

/**
 * Make's SDK and many clients send `Content-Type: application/json` with no body on POSTs such as
 * `/start`; Fastify would answer 400 for that. An empty body is "no body" here.
 *
 * Every JSON body, whoever wrote it (webhooks too), is checked for prototype keys and imex's blob
 * references before any code copies it (domain/json-keys.ts, the `thirdParty` policy): a 400 names
 * the path. Routes that take imex's own inputs check more (`checkedJson`).
 */
function acceptEmptyJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (error) {
      const err = error as Error & { statusCode?: number; code?: string };
      err.statusCode = 400;
      err.code = 'FST_ERR_CTP_INVALID_JSON_BODY';
      return done(err, undefined);
    }
    const forbidden = findForbiddenJsonKeys(value, 'thirdParty');
    if (forbidden.length > 0) {
      return done(
        validationError(forbidden.map((key) => ({ path: formatPath(key.path), in: 'body', message: key.message }))),
        undefined,
      );
    }
    done(null, value);
  });
}
