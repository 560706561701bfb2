/**
 * Bulk retry and bulk delete (`POST /dlqs/retry`, `DELETE /dlqs`), and their progress
 * (`GET /dlqs/operations/{id}`).
 *
 * Every bulk request is a durable `bulkOperation` workflow that writes a verdict per IE to
 * MongoDB, so nothing is lost if this process dies after answering. The API waits for it when the
 * batch is small (at most `bulkWait.maxIds` IEs, finished within `bulkWait.timeoutMs`) and answers
 * Make's shapes with the verdicts; otherwise it answers 202 with the operation, whose progress and
 * verdicts `GET /dlqs/operations/{id}` reads.
 */
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BulkOperationDocument, BulkOperationKind } from '../../store';
import { actorOf, authOf, type AuthContext } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, confirmationRequired, errorBodySchema, notFound } from '../errors';
import {
  bulkBody,
  bulkDeleteQuery,
  bulkOperationSchema,
  bulkScenarioQuery,
  bulkVerdictSchema,
  operationIdParams,
  toBulkOperationView,
  type BulkBody,
  type BulkOperationView,
} from '../schemas/dlqs';
import { bulkQueryOperationSchema, toBulkQueryOperationView } from '../schemas/bulk-query';
import { pagingQuery, querySchema } from '../validation';

const tags = ['incomplete executions'];
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema };
const operationEnvelope = z.object({ operation: bulkOperationSchema });

/** Bulk requests over at most this many IEs are waited for (default). */
export const DEFAULT_BULK_WAIT_MAX_IDS = 100;
/** …for at most this long (default); then the answer is 202 with the operation. */
export const DEFAULT_BULK_WAIT_TIMEOUT_MS = 20_000;

export const bulkDlqRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { store, imex } = deps;
  const maxIds = deps.bulkWait?.maxIds ?? DEFAULT_BULK_WAIT_MAX_IDS;
  const timeoutMs = deps.bulkWait?.timeoutMs ?? DEFAULT_BULK_WAIT_TIMEOUT_MS;

  async function scenarioOf(orgId: number, scenarioId: number): Promise<void> {
    if (!(await store.scenarios.get(orgId, scenarioId))) throw notFound(`scenario ${scenarioId}`);
  }

  async function view(operation: BulkOperationDocument): Promise<BulkOperationView> {
    return toBulkOperationView(operation, await store.bulkOperations.progress(operation));
  }

  /**
   * Starts the operation and waits while it is small: resolves to the finished operation, or to
   * the running one once it is known to be large or the time is up.
   */
  async function run(
    orgId: number,
    scenarioId: number,
    kind: BulkOperationKind,
    body: BulkBody,
    auth: AuthContext,
  ): Promise<{ operation: BulkOperationDocument; finished: boolean }> {
    const operationId = crypto.randomUUID().replace(/-/g, '');
    const target = body.ids ? { ids: body.ids } : { all: true as const, exceptIds: body.exceptIds ?? [] };
    // Each IE's change log records who asked and why.
    const note = { actor: actorOf(auth), ...(body.reason === undefined ? {} : { reason: body.reason }) };
    await imex.startBulkOperation({ operationId, orgId, scenarioId, kind, target, note });
    const deadline = Date.now() + timeoutMs;
    let wait = 25;
    for (;;) {
      const operation = await store.bulkOperations.get(operationId);
      if (!operation) throw new Error(`bulk operation ${operationId} vanished from the store`);
      if (operation.status === 'completed') return { operation, finished: true };
      const large = (body.ids?.length ?? 0) > maxIds || (operation.total ?? 0) > maxIds;
      if (large || Date.now() >= deadline) return { operation, finished: false };
      await sleep(wait);
      wait = Math.min(wait * 2, 250);
    }
  }

  async function accepted(operation: BulkOperationDocument, reply: FastifyReply) {
    reply.status(202).header('location', `${app.prefix}/dlqs/operations/${operation._id}`);
    return { operation: await view(operation) };
  }

  app.post(
    '/dlqs/retry',
    {
      config: { scope: 'dlqs:write' },
      schema: {
        tags,
        summary: 'Retry many incomplete executions of a scenario: `{ ids }` or `{ all: true, exceptIds }`',
        description:
          'Answers `{ dlqs: [ { id, accepted, reason? } ] }` (accepted: the attempt has started). ' +
          `A batch of more than ${DEFAULT_BULK_WAIT_MAX_IDS} IEs (configurable), or one that takes longer than ` +
          `${DEFAULT_BULK_WAIT_TIMEOUT_MS / 1000} s, answers 202 \`{ operation }\`: follow GET /dlqs/operations/{id}.`,
        querystring: bulkScenarioQuery,
        body: bulkBody,
        response: { 200: z.object({ dlqs: z.array(bulkVerdictSchema) }), 202: operationEnvelope, ...errors },
      },
    },
    async (request, reply) => {
      const { orgId } = authOf(request);
      const { scenarioId } = request.query;
      await scenarioOf(orgId, scenarioId);
      const { operation, finished } = await run(orgId, scenarioId, 'retry', request.body, authOf(request));
      if (!finished) return accepted(operation, reply);
      return { dlqs: await store.bulkOperations.verdicts(operation._id, { offset: 0, limit: operation.total ?? 0 }) };
    },
  );

  app.delete(
    '/dlqs',
    {
      config: { scope: 'dlqs:write' },
      schema: {
        tags,
        summary: 'Delete many incomplete executions of a scenario: `{ ids }` or `{ all: true, exceptIds }`',
        description:
          '`all` needs `confirmed=true` (406 IM004 otherwise). Answers `{ dlqs: [ids deleted] }`; when some could ' +
          'not be deleted (an attempt in progress, not found) the rest are deleted and the answer is 400 ' +
          '`IM_NOT_DELETED` with `detail: { deleted, notDeleted: [ { id, reason } ] }`. Large batches answer 202 as bulk retry.',
        querystring: bulkDeleteQuery,
        body: bulkBody,
        response: {
          200: z.object({ dlqs: z.array(z.string()) }),
          202: operationEnvelope,
          ...errors,
          406: errorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const { orgId } = authOf(request);
      const { scenarioId, confirmed } = request.query;
      await scenarioOf(orgId, scenarioId);
      if (request.body.all && !confirmed) {
        throw confirmationRequired('deleting all incomplete executions of a scenario needs confirmed=true');
      }
      const { operation, finished } = await run(orgId, scenarioId, 'delete', request.body, authOf(request));
      if (!finished) return accepted(operation, reply);
      const verdicts = await store.bulkOperations.verdicts(operation._id, { offset: 0, limit: operation.total ?? 0 });
      const deleted = verdicts.filter((v) => v.accepted).map((v) => v.id);
      const notDeleted = verdicts.filter((v) => !v.accepted).map((v) => ({ id: v.id, reason: v.reason ?? '' }));
      if (notDeleted.length > 0) {
        throw new ApiError(
          400,
          'IM_NOT_DELETED',
          `${notDeleted.length} of ${verdicts.length} incomplete executions could not be deleted ` +
            `(${notDeleted.map((n) => n.id).join(', ')}); the others were deleted`,
          { deleted, notDeleted },
        );
      }
      return { dlqs: deleted };
    },
  );

  app.get(
    '/dlqs/operations/:operationId',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: "imex: a bulk retry or delete's progress and its verdicts so far (paged, in request order)",
        description:
          'An operation by query (`POST /dlqs/operations`) answers `{ operation }` only: its verdicts are in ' +
          '`GET /dlqs/operations/{id}/items`.',
        params: operationIdParams,
        querystring: querySchema(pagingQuery(1000)),
        response: {
          200: z.union([
            z.object({
              operation: bulkOperationSchema,
              dlqs: z.array(bulkVerdictSchema),
              pg: z.object({ offset: z.int(), limit: z.int() }),
            }),
            z.object({ operation: bulkQueryOperationSchema }),
          ]),
          ...errors,
        },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { operationId } = request.params;
      const operation = await store.bulkOperations.getVisible(orgId, operationId);
      if (!operation) {
        const byQuery = await store.bulkQueries.getVisible(orgId, operationId);
        if (!byQuery) throw notFound(`operation ${operationId}`);
        const [withProgress] = await store.bulkQueries.withProgress([byQuery]);
        return { operation: toBulkQueryOperationView(withProgress!) };
      }
      const pg = { offset: request.query['pg[offset]'], limit: request.query['pg[limit]'] };
      return { operation: await view(operation), dlqs: await store.bulkOperations.verdicts(operationId, pg), pg };
    },
  );
};
