/**
 * Bulk retry and delete by query across the organization's scenarios (`/dlqs/operations`): a
 * dry run counts what a query matches; otherwise a durable `bulkQueryOperation` workflow walks it
 * and keeps a verdict per IE in a ledger (`/items`), paused, resumed and cancelled through the
 * workflow. The state and counters are read from the store, never from the workflow.
 */
import crypto from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BulkQueryControl } from '../../domain';
import type { BulkQueryOperationDocument } from '../../store';
import { actorOf, authOf } from '../auth';
import type { ApiDeps } from '../deps';
import { conflict, errorBodySchema, notFound } from '../errors';
import {
  bulkQueryBody,
  bulkQueryItemSchema,
  bulkQueryItemsQuery,
  bulkQueryListQuery,
  bulkQueryOperationSchema,
  dryRunSchema,
  toBulkQueryItem,
  toBulkQueryOperationView,
} from '../schemas/bulk-query';
import { operationIdParams, toDlqListItem } from '../schemas/dlqs';

const tags = ['incomplete executions'];
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema };
const operationEnvelope = z.object({ operation: bulkQueryOperationSchema });
const DRY_RUN_SAMPLE = 10;

export const bulkQueryDlqRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { store, imex } = deps;
  const queries = store.bulkQueries;

  async function view(doc: BulkQueryOperationDocument) {
    const [withProgress] = await queries.withProgress([doc]);
    return toBulkQueryOperationView(withProgress!);
  }

  async function visibleOperation(orgId: number, operationId: string): Promise<BulkQueryOperationDocument> {
    const doc = await queries.getVisible(orgId, operationId);
    if (!doc) throw notFound(`operation ${operationId}`);
    return doc;
  }

  app.post(
    '/dlqs/operations',
    {
      config: { scope: 'dlqs:write' },
      schema: {
        tags,
        summary: "imex: retry or delete the organization's incomplete executions that a query matches",
        description:
          'The query: `scenarioIds`, `statuses`, `errorTypes`, `failedModuleIds`, `createdFrom`/`createdTo` (ISO, ' +
          'inclusive), `messageContains` (a literal substring of the error message, case-insensitive). `dryRun: true` ' +
          'answers 200 `{ matched, sample }` (the first 10, newest first) and changes nothing. Otherwise 202 ' +
          '`{ operation }`: a durable operation over the IEs matched now (IEs stored later are not swept in) that ' +
          'keeps a verdict per IE (`GET /dlqs/operations/{id}/items`), at most 3 attempts at once per scenario.',
        body: bulkQueryBody,
        response: { 200: dryRunSchema, 202: operationEnvelope, ...errors },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const { action, query, dryRun, reason } = request.body;
      // The match set's upper bound: what exists now.
      const upTo = new Date();
      const matched = await store.incompleteExecutions.countMatching(auth.orgId, query, upTo);
      if (dryRun) {
        const sample = await store.incompleteExecutions.pageMatching(auth.orgId, query, {
          upTo,
          limit: DRY_RUN_SAMPLE,
        });
        return reply.status(200).send({ matched, sample: sample.map(toDlqListItem) });
      }
      const operationId = crypto.randomUUID().replace(/-/g, '');
      const note = { actor: actorOf(auth), ...(reason === undefined ? {} : { reason }) };
      await imex.startBulkQueryOperation({ operationId, orgId: auth.orgId, action, note, query, upTo, matched });
      const operation = await visibleOperation(auth.orgId, operationId);
      reply.status(202).header('location', `${app.prefix}/dlqs/operations/${operationId}`);
      return { operation: await view(operation) };
    },
  );

  app.get(
    '/dlqs/operations',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: "imex: the organization's bulk operations by query, running and paused first, then newest first",
        querystring: bulkQueryListQuery,
        response: { 200: z.object({ operations: z.array(bulkQueryOperationSchema) }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const docs = await queries.list(orgId, request.query.state ? { state: request.query.state } : {});
      return { operations: (await queries.withProgress(docs)).map(toBulkQueryOperationView) };
    },
  );

  app.get(
    '/dlqs/operations/:operationId/items',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary:
          "imex: a bulk operation by query's ledger: a verdict per IE (applied, skipped or failed, with the reason)",
        description:
          "Paged by `cursor` (the previous page's `next`) and `limit` (default 100, at most 1000); `verdict` filters.",
        params: operationIdParams,
        querystring: bulkQueryItemsQuery,
        response: {
          200: z.object({ items: z.array(bulkQueryItemSchema), next: z.string().optional() }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { operationId } = request.params;
      await visibleOperation(orgId, operationId);
      const { verdict, cursor, limit } = request.query;
      const page = await queries.page(operationId, {
        ...(verdict ? { verdict } : {}),
        ...(cursor ? { after: cursor } : {}),
        limit,
      });
      const last = page[page.length - 1];
      return { items: page.map(toBulkQueryItem), ...(last && page.length === limit ? { next: last.ieId } : {}) };
    },
  );

  for (const control of ['pause', 'resume', 'cancel'] as const satisfies readonly BulkQueryControl[]) {
    app.post(
      `/dlqs/operations/:operationId/${control}`,
      {
        config: { scope: 'dlqs:write' },
        schema: {
          tags,
          summary: `imex: ${control} a bulk operation by query`,
          description:
            '409 with `detail.reason` when its state does not allow it. A pause or cancel lets the IEs under way ' +
            'finish (their attempts keep running); a resumed operation goes on where it stopped.',
          params: operationIdParams,
          response: { 200: operationEnvelope, ...errors, 409: errorBodySchema },
        },
      },
      async (request) => {
        const { orgId } = authOf(request);
        const { operationId } = request.params;
        await visibleOperation(orgId, operationId);
        try {
          await imex.controlBulkQueryOperation(operationId, control);
        } catch (err) {
          if (!(err instanceof Error) || err.name !== 'RequestRejectedError') throw err;
          const reason = (err as Error & { reason: string }).reason;
          throw conflict(`operation ${operationId}: ${reason}`, { reason });
        }
        return { operation: await view(await visibleOperation(orgId, operationId)) };
      },
    );
  }
};
