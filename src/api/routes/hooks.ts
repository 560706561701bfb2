/**
 * `POST /hooks/<hookId>`: a scenario's webhook (Make's `gateway:CustomWebHook`), outside `/api/v2`
 * and without a token, as Make's hook URLs. Any JSON body (or none) is queued durably for the
 * scenario and becomes its trigger's bundle; the answer is 202 once the payload is in MongoDB.
 *
 * - unknown hook: 404;
 * - inactive scenario: 409 `IM_SCENARIO_INACTIVE`, saying it is inactive and why (nothing queued);
 * - queue at its cap (`IMEX_WEBHOOK_QUEUE_CAP`, or the scenario's `imex.webhookQueueCap`):
 *   429 `IM_QUEUE_FULL` with `Retry-After` (nothing queued; what was accepted before stays). The
 *   cap is exact under concurrency (src/store/webhook-queue.ts);
 * - `Idempotency-Key` header (1–255 visible ASCII characters, per hook): a resend of a key accepted
 *   within the retention (24 h) answers the first acceptance (same `executionId`, header
 *   `Idempotent-Replayed: true`) and queues nothing; while the first request with that key is
 *   still being accepted, 409 `IM_CONFLICT` (send again); the key with another payload, 422
 *   `IM_IDEMPOTENCY_KEY_REUSED` (nothing queued).
 *
 * A scenario with a `gateway:WebhookRespond` answers with what its run sets (status, headers,
 * body), waiting up to `webhookResponseWaitMs` (Make's 5 minutes); a payload that waits in the
 * queue, a run that ends without a response, or the bound answer 202 as above.
 *
 * The answer waits for MongoDB only: the scenario's coordinator is woken afterwards, coalesced
 * (src/temporal/coordinator-wake.ts).
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { imexMetrics } from '../../observability/metrics';
import type { WebhookResponse } from '../../store';
import type { WebhookAcceptance } from '../../temporal/client';
import type { ApiDeps } from '../deps';
import { ApiError, conflict, errorBodySchema, notFound, validationError } from '../errors';

export const HOOKS_PATH = '/hooks';
/** The header a sender sets so that a resend is not a second run. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Seconds a sender is told to wait (`Retry-After`) when the queue is full. */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 5;
/** Make: a caller waits up to 5 minutes for the scenario's response, then gets "Accepted". */
export const DEFAULT_WEBHOOK_RESPONSE_WAIT_MS = 5 * 60_000;

/** The request's idempotency key, if it sent one; 400 when it is not one. */
function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw validationError([
      {
        path: 'Idempotency-Key',
        in: 'headers',
        message: 'must be one value of 1 to 255 visible ASCII characters',
      },
    ]);
  }
  return value;
}

export const hookRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.post(
    `${HOOKS_PATH}/:hookId`,
    {
      config: { public: true },
      // The answer can be the scenario's own (gateway:WebhookRespond): no CSP of imex's page on it.
      helmet: { contentSecurityPolicy: false },
      schema: {
        tags: ['hooks'],
        summary: "A scenario's webhook: queues the JSON body as the trigger's bundle (no token)",
        params: z.object({ hookId: z.string().regex(/^[0-9a-f]{16,64}$/, 'is not a hook id') }),
        response: {
          202: z.object({ accepted: z.literal(true), scenarioId: z.int(), executionId: z.string() }),
          404: errorBodySchema,
          400: errorBodySchema,
          409: errorBodySchema,
          422: errorBodySchema,
          429: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const { hookId } = request.params;
      if (!deps.webhooks) throw notFound(`hook ${hookId}`);
      const idempotencyKey = idempotencyKeyOf(request.headers);
      const result = await deps.webhooks.acceptWebhook(
        hookId,
        request.body,
        idempotencyKey === undefined ? {} : { idempotencyKey },
      );
      countWebhook(result);
      switch (result.status) {
        case 'accepted': {
          if (result.repeated) void reply.header('idempotent-replayed', 'true');
          const response =
            result.responds && deps.webhooks.awaitWebhookResponse
              ? await deps.webhooks.awaitWebhookResponse(result.executionId, {
                  waitMs: deps.webhookResponseWaitMs ?? DEFAULT_WEBHOOK_RESPONSE_WAIT_MS,
                })
              : undefined;
          if (response) return sendScenarioResponse(reply, response);
          return reply
            .status(202)
            .send({ accepted: true as const, scenarioId: result.scenarioId, executionId: result.executionId });
        }
        case 'not-found':
          throw notFound(`hook ${hookId}`);
        case 'inactive':
          throw new ApiError(409, 'IM_SCENARIO_INACTIVE', `scenario ${result.scenarioId}: ${result.reason}`, {
            scenarioId: result.scenarioId,
            reason: result.reason,
          });
        case 'key-in-flight':
          throw conflict('a request with this Idempotency-Key is still being accepted: send again to get its answer');
        case 'key-reused':
          throw new ApiError(
            422,
            'IM_IDEMPOTENCY_KEY_REUSED',
            'this Idempotency-Key was sent before with another payload: nothing was queued; ' +
              'send this payload with a new key (or the first payload again to get its answer)',
            [{ path: 'Idempotency-Key', message: 'already used for another payload' }],
          );
        case 'queue-full': {
          const full = new ApiError(
            429,
            'IM_QUEUE_FULL',
            `the webhook queue of scenario ${result.scenarioId} is full (${result.queued} payloads waiting, cap ${result.cap}): ` +
              'nothing was queued; send again once it has drained',
            { scenarioId: result.scenarioId, queued: result.queued, cap: result.cap },
          );
          return reply
            .status(429)
            .header('retry-after', String(QUEUE_FULL_RETRY_AFTER_SECONDS))
            .send(full.toBody() as z.infer<typeof errorBodySchema>);
        }
      }
    },
  );
};

/**
 * The scenario's own answer (`gateway:WebhookRespond`), sent as bytes so no response schema
 * reshapes it. Without a Content-Type of its own: JSON when the body is JSON, else text.
 */
function sendScenarioResponse(reply: FastifyReply, response: WebhookResponse) {
  for (const { key, value } of response.headers) void reply.header(key, value);
  if (!response.headers.some((h) => h.key.toLowerCase() === 'content-type')) {
    void reply.header('content-type', isJsonText(response.body) ? 'application/json' : 'text/plain; charset=utf-8');
  }
  return reply.status(response.status).send(Buffer.from(response.body) as never);
}

function isJsonText(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object';
  } catch {
    return false;
  }
}

/** Outcomes that name their scenario are counted per scenario (an unknown hook names none). */
function countWebhook(result: WebhookAcceptance): void {
  const webhooks = imexMetrics().webhooks;
  switch (result.status) {
    case 'accepted':
      webhooks.inc({ scenario_id: String(result.scenarioId), outcome: result.repeated ? 'replayed' : 'accepted' });
      return;
    case 'queue-full':
      webhooks.inc({ scenario_id: String(result.scenarioId), outcome: 'queue_full' });
      return;
    case 'inactive':
      webhooks.inc({ scenario_id: String(result.scenarioId), outcome: 'inactive' });
      return;
    default:
      return;
  }
}
