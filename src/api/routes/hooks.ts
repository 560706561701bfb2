/**
 * `POST /hooks/<hookId>`: a scenario's webhook (Make's `gateway:CustomWebHook`), outside `/api/v2`
 * and without a token, as Make's hook URLs. Any JSON body (or none) is queued durably for the
 * scenario and becomes its trigger's bundle; the answer is 202 once the payload is in MongoDB.
 *
 * - unknown hook: 404;
 * - inactive scenario: 409 `IM_SCENARIO_INACTIVE`, saying it is inactive and why (nothing queued);
 * - queue at its cap (`IMEX_WEBHOOK_QUEUE_CAP`, or the scenario's `imex.webhookQueueCap`):
 *   429 `IM_QUEUE_FULL` (nothing queued; what was accepted before stays).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema, notFound } from '../errors';

export const HOOKS_PATH = '/hooks';

export const hookRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.post(
    `${HOOKS_PATH}/:hookId`,
    {
      config: { public: true },
      schema: {
        tags: ['hooks'],
        summary: "A scenario's webhook: queues the JSON body as the trigger's bundle (no token)",
        params: z.object({ hookId: z.string().regex(/^[0-9a-f]{16,64}$/, 'is not a hook id') }),
        response: {
          202: z.object({ accepted: z.literal(true), scenarioId: z.int(), executionId: z.string() }),
          404: errorBodySchema,
          409: errorBodySchema,
          429: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const { hookId } = request.params;
      if (!deps.webhooks) throw notFound(`hook ${hookId}`);
      const result = await deps.webhooks.acceptWebhook(hookId, request.body);
      switch (result.status) {
        case 'accepted':
          return reply
            .status(202)
            .send({ accepted: true as const, scenarioId: result.scenarioId, executionId: result.executionId });
        case 'not-found':
          throw notFound(`hook ${hookId}`);
        case 'inactive':
          throw new ApiError(409, 'IM_SCENARIO_INACTIVE', `scenario ${result.scenarioId}: ${result.reason}`, {
            scenarioId: result.scenarioId,
            reason: result.reason,
          });
        case 'queue-full':
          throw new ApiError(
            429,
            'IM_QUEUE_FULL',
            `the webhook queue of scenario ${result.scenarioId} is full (${result.queued} payloads waiting, cap ${result.cap}): ` +
              'nothing was queued; send again once it has drained',
            { scenarioId: result.scenarioId, queued: result.queued, cap: result.cap },
          );
      }
    },
  );
};
