/**
 * The API's one error shape (DESIGN.md §7): `{ message, code, detail? }`. `code` is Make's where
 * Make has one (`IM004`), otherwise a stable imex code. Validation errors list each bad field in
 * `detail`. Unknown errors answer 500 with no stack trace and are logged.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../logger';

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
  'IM_PAYLOAD_TOO_LARGE',
  'IM_UNSUPPORTED_MEDIA_TYPE',
  /** A webhook of a scenario that is not active (409; the message says why). */
  'IM_SCENARIO_INACTIVE',
  /** A webhook whose scenario's queue is at its cap (429). */
  'IM_QUEUE_FULL',
  'IM_INTERNAL',
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

/** Where a bad field was: the JSON body, a path parameter or a query parameter. */
export type FieldLocation = 'body' | 'params' | 'query';

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
function fromFastifyError(error: FastifyError): ApiError | undefined {
  const status = error.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return validationError([{ path: '', in: 'body', message: error.message }], 'malformed JSON body');
  }
  if (status === 413) return new ApiError(413, 'IM_PAYLOAD_TOO_LARGE', error.message);
  if (status === 415) return new ApiError(415, 'IM_UNSUPPORTED_MEDIA_TYPE', error.message);
  if (status === 404) return new ApiError(404, 'IM_NOT_FOUND', error.message);
  return new ApiError(400, 'IM_VALIDATION', error.message, [{ path: '', message: error.message }]);
}

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof ApiError ? error : fromFastifyError(error);
    if (known) return reply.status(known.statusCode).send(known.toBody());
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
