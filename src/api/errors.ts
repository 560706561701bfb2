/**
 * The API's one error shape (DESIGN.md §7): `{ message, code, detail? }`. `code` is Make's where
 * Make has one (`IM004`), otherwise a stable imex code. Validation errors list each bad field in
 * `detail`. Unknown errors answer 500 with no stack trace and are logged.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../logger';
import { StoredDataUnreadableError } from '../store/field-cipher';
import { isStoreUnavailable } from '../store/unavailable';
import { isTemporalUnavailable } from '../temporal/unavailable';

/** Seconds a client is told to wait (`Retry-After`) when the store or Temporal is unreachable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export const apiErrorCodes = [
  'IM_VALIDATION',
  'IM_UNAUTHORIZED',
  'IM_FORBIDDEN',
  'IM_NOT_FOUND',
  'IM_CONFLICT',
  /** Make's "confirmation required" (406). */
  'IM004',
  /** A bulk delete that deleted some IEs but not all: `detail` lists which and why. */
  'IM_NOT_DELETED',
  /** An `Idempotency-Key` sent again with another body (422): nothing was done. */
  'IM_IDEMPOTENCY_KEY_REUSED',
  /** A body over the API's limit (413; the message names the limit). */
  'IM_PAYLOAD_TOO_LARGE',
  'IM_UNSUPPORTED_MEDIA_TYPE',
  /** A webhook of a scenario that is not active (409; the message says why). */
  'IM_SCENARIO_INACTIVE',
  /** A webhook whose scenario's queue is at its cap (429). */
  'IM_QUEUE_FULL',
  /** Too many bad tokens from this client (429 with Retry-After): src/api/auth-failure-limit.ts. */
  'IM_TOO_MANY_AUTH_FAILURES',
  /** The store or Temporal is unreachable (503 with Retry-After): nothing was accepted; send again later. */
  'IM_UNAVAILABLE',
  /** Stored data sealed with a key this process does not have, or that does not authenticate (500; names the key id). */
  'IM_STORED_DATA_UNREADABLE',
  'IM_INTERNAL',
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

/** Where a bad field was: the JSON body, a path parameter, a query parameter or a header. */
export type FieldLocation = 'body' | 'params' | 'query' | 'headers';

export interface FieldError {
  /** The field, e.g. `name`, `blueprint.flow[1].mapper.url`, `scenarioId`, `pg[limit]`. */
  path: string;
  message: string;
  in?: FieldLocation;
  /** For blueprint errors: the module the error is about. */
  moduleId?: number;
}

export const fieldErrorSchema = z.object({
  path: z.string(),
  message: z.string(),
  in: z.enum(['body', 'params', 'query']).optional(),
  moduleId: z.int().optional(),
});

export const errorBodySchema = z
  .object({
    message: z.string(),
    code: z.string(),
    detail: z.unknown().optional(),
  })
  .meta({ id: 'Error' });

export interface ErrorBody {
  message: string;
  code: ApiErrorCode;
  detail?: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): ErrorBody {
    return this.detail === undefined
      ? { message: this.message, code: this.code }
      : { message: this.message, code: this.code, detail: this.detail };
  }
}

/** 400 naming each bad field. */
export function validationError(detail: FieldError[], message?: string): ApiError {
  const summary = message ?? `invalid request: ${detail.map((d) => d.path || d.in || 'request').join(', ')}`;
  return new ApiError(400, 'IM_VALIDATION', summary, detail);
}

export const unauthorized = (message: string) => new ApiError(401, 'IM_UNAUTHORIZED', message);
export const forbidden = (message: string) => new ApiError(403, 'IM_FORBIDDEN', message);
/** Also what another organization's ids answer: never 403, so ids do not leak (DESIGN.md §7). */
export const notFound = (what: string) => new ApiError(404, 'IM_NOT_FOUND', `${what} not found`);
export const conflict = (message: string, detail?: unknown) => new ApiError(409, 'IM_CONFLICT', message, detail);
/** Make's IM004: a destructive bulk request without `confirmed=true`. */
export const confirmationRequired = (message: string) => new ApiError(406, 'IM004', message);

/** Fastify's own 4xx errors (body parsing, limits) in the API's shape. */
function fromFastifyError(error: FastifyError, bodyLimit: number): ApiError | undefined {
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return validationError([{ path: '', in: 'body', message: error.message }], 'malformed JSON body');
  }
  if (status === 413) {
    return new ApiError(
      413,
      'IM_PAYLOAD_TOO_LARGE',
      `the request body is larger than the API's limit of ${formatBytes(bodyLimit)} (${bodyLimit} bytes)`,
      { limit: bodyLimit },
    );
  }
  if (status === 415) return new ApiError(415, 'IM_UNSUPPORTED_MEDIA_TYPE', error.message);
  if (status === 404) return new ApiError(404, 'IM_NOT_FOUND', error.message);
  return new ApiError(400, 'IM_VALIDATION', error.message, [{ path: '', message: error.message }]);
}

function formatBytes(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

/** The store or Temporal unreachable: 503, so clients retry later; nothing was accepted. */
function fromOutage(error: unknown): ApiError | undefined {
  const what = isStoreUnavailable(error) ? 'the store' : isTemporalUnavailable(error) ? 'Temporal' : undefined;
  if (!what) return undefined;
  return new ApiError(
    503,
    'IM_UNAVAILABLE',
    `imex cannot reach ${what} right now: nothing was accepted; send the request again in a few seconds`,
    { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS },
  );
}

export function installErrorHandling(app: FastifyInstance, logger: Logger, limits: { bodyLimit: number }): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof ApiError ? error : fromFastifyError(error, limits.bodyLimit);
    if (known) return reply.status(known.statusCode).send(known.toBody());
    const outage = fromOutage(error);
    if (outage) {
      logger.warn({ err: error, method: request.method, url: request.url }, `API ${outage.message}`);
      return reply.status(503).header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS)).send(outage.toBody());
    }
    if (error instanceof StoredDataUnreadableError) {
      // A key missing from this deployment's configuration: say which, never guess at the data.
      logger.error(
        { err: error, keyId: error.keyId, method: request.method, url: request.url },
        'API stored data unreadable',
      );
      const body: ErrorBody = { message: error.message, code: 'IM_STORED_DATA_UNREADABLE' };
      return reply.status(500).send(body);
    }
    // Everything else is our bug or an outage: log it whole, answer without internals.
    const what = isResponseSerializationError(error) ? 'response did not match its schema' : 'unexpected error';
    logger.error({ err: error, method: request.method, url: request.url }, `API ${what}`);
    const body: ErrorBody = { message: 'internal error', code: 'IM_INTERNAL' };
    return reply.status(500).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = {
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
      code: 'IM_NOT_FOUND',
    };
    return reply.status(404).send(body);
  });
}
