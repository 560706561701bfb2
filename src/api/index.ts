/**
 * The HTTP API: `createApiServer(deps)` builds the Fastify instance (Make's shapes under
 * `/api/v2`, token auth with Make's scopes, zod validation, OpenAPI at `/api/v2/openapi.json`).
 * One file per resource under `routes/`; the error shape lives in `errors.ts`.
 */
export * from './server';
export * from './deps';
export { ApiError, apiErrorCodes, type ApiErrorCode, type ErrorBody, type FieldError } from './errors';
export type { AuthContext } from './auth';
