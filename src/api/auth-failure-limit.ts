/**
 * Authentication failures are limited per client IP (docs/security.md#api-hardening): past `max`
 * bad or missing tokens within `timeWindowMs`, the client's further failures answer 429 with
 * Retry-After instead of 401, until the window ends. Only failures count: a good token is
 * answered as always, also from a client that is limited, and routes without a scope (`/metrics`,
 * `/health/*`, webhooks, the web page) are not concerned. Counts live in the process's memory,
 * per API process (@fastify/rate-limit's local store).
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors';

export interface AuthFailureLimit {
  /** Failures a client may have in a window; 0 turns the limit off. */
  max: number;
  timeWindowMs: number;
}

export const DEFAULT_AUTH_FAILURE_LIMIT: AuthFailureLimit = { max: 20, timeWindowMs: 60_000 };

/** Counts one failure of this request's client; throws the 429 once the client is over its limit. */
export type AuthFailureCounter = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export async function installAuthFailureLimit(
  app: FastifyInstance,
  limit: AuthFailureLimit = DEFAULT_AUTH_FAILURE_LIMIT,
): Promise<AuthFailureCounter> {
  if (limit.max <= 0) return async () => undefined;
  // `global: false`: no route is limited as such; the auth hook counts its failures only.
  await app.register(rateLimit, { global: false });
  const check = app.createRateLimit({
    max: limit.max,
    timeWindow: limit.timeWindowMs,
    keyGenerator: (request) => request.ip,
  });
  return async (request, reply) => {
    const status = await check(request);
    if (status.isAllowed || !status.isExceeded) return;
    const seconds = Math.max(1, status.ttlInSeconds);
    reply.header('retry-after', String(seconds));
    throw new ApiError(
      429,
      'IM_TOO_MANY_AUTH_FAILURES',
      `too many requests with a missing or invalid token from this client (more than ${limit.max} in ` +
        `${limit.timeWindowMs / 1000} s): try again in ${seconds} s`,
      { retryAfterSeconds: seconds },
    );
  };
}
