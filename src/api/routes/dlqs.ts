/**
 * `/dlqs`: incomplete executions, as Make's API names them (DESIGN.md §7). Lists and details come
 * from MongoDB (the truth for lists); retry, resolve, patch and delete go through the IE
 * workflow's updates, so the caller gets the verdict: 409 with the reason when the IE is in
 * progress, resolved or deleted. Another organization's IE is "not found". Bulk retry and delete
 * are in `dlqs-bulk.ts`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Blueprint, PatchRequest, RetryPlan } from '../../domain';
import type { IncompleteExecutionDocument } from '../../store';
import { actorOf, authOf, type AuthContext } from '../auth';
import type { ApiDeps, ApiImexClient } from '../deps';
import { conflict, errorBodySchema, notFound, validationError } from '../errors';
import { inlineContext } from '../inline-context';
import { planRetryOf } from '../retry-plans';
import { ieQueryOfQueryString } from '../schemas/ie-query';
import { retryPlanSchema } from '../schemas/dlq-plans';
import {
  bundleResponseSchema,
  dlqChangeSchema,
  dlqChangesQuery,
  dlqIdParams,
  dlqListItemSchema,
  dlqLogDetailSchema,
  dlqLogParams,
  dlqLogSchema,
  dlqLogsQuery,
  dlqPagingSchema,
  dlqSchema,
  listDlqsQuery,
  patchDlqBody,
  resolveDlqBody,
  retryDlqBody,
  toDlqListItem,
  type DlqChangeView,
  toDlqLog,
  toDlqView,
  toModuleLog,
} from '../schemas/dlqs';

const tags = ['incomplete executions'];
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema };
const blueprintObject = z.record(z.string(), z.unknown());

export const dlqRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { store, imex, registry } = deps;

  async function visibleIe(orgId: number, ieId: string): Promise<IncompleteExecutionDocument> {
    const doc = await store.incompleteExecutions.getVisible(orgId, ieId);
    if (!doc) throw notFound(`incomplete execution ${ieId}`);
    return doc;
  }
  /**
   * Sends a request to the organization's IE through its workflow, in the token's name (the IE's
   * change log records who); a refusal answers with the reason. With an `Idempotency-Key`, the
   * request id derives from it: a request sent again is answered with the first one's verdict by
   * the IE's workflow, which remembers it, or, once the workflow has ended (the IE resolved), by
   * the IE's change log, which holds every accepted request; never a second attempt or a 409.
   */
  async function requestOnIe(
    http: FastifyRequest,
    kind: 'retry' | 'resolve' | 'patch',
    body: Parameters<ApiImexClient['requestIncompleteExecution']>[2],
    check?: (doc: IncompleteExecutionDocument) => Promise<typeof body>,
  ): Promise<void> {
    const auth = authOf(http);
    const ieId = (http.params as { dlqId: string }).dlqId;
    const requestId = requestIdOf(http, auth, ieId, kind);
    if (requestId.idempotent && (await store.ieChanges.hasRequest(ieId, requestId.id))) {
      await visibleOrClosedIe(auth.orgId, ieId);
      return; // answered before
    }
    const doc = await visibleIe(auth.orgId, ieId);
    const checked = check ? await check(doc) : body;
    try {
      await imex.requestIncompleteExecution(ieId, kind, { ...checked, requestId: requestId.id, actor: actorOf(auth) });
    } catch (error) {
      if (requestId.idempotent && (await store.ieChanges.hasRequest(ieId, requestId.id))) return;
      throw refusal(ieId, error);
    }
  }

  async function visibleOrClosedIe(orgId: number, ieId: string): Promise<void> {
    const doc = await store.incompleteExecutions.get(ieId);
    if (!doc || doc.orgId !== orgId) throw notFound(`incomplete execution ${ieId}`);
  }

  app.get(
    '/dlqs',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: "List a scenario's incomplete executions, or the organization's (newest first by default)",
        description:
          'Paging `pg[offset]`, `pg[limit]` (default 100), `pg[sortBy]` (created, size, attempts), `pg[sortDir]`; ' +
          'imex: without `scenarioId` it lists across the organization; filters `executionId` (the run that parked ' +
          'them), `scenarioId`, `status`, `errorType`, `failedModuleId` (each repeatable), `createdFrom`, `createdTo` ' +
          '(ISO times, inclusive) and `q` (a literal substring of the error message, case-insensitive): the IE query ' +
          'that `POST /dlqs/operations` takes. Resolved IEs stay listed (`resolved: true`); deleted ones are not.',
        querystring: listDlqsQuery,
        response: { 200: z.object({ dlqs: z.array(dlqListItemSchema), pg: dlqPagingSchema }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const query = request.query;
      for (const scenarioId of new Set(query.scenarioId ?? [])) {
        if (!(await store.scenarios.get(orgId, scenarioId))) throw notFound(`scenario ${scenarioId}`);
      }
      const pg = {
        offset: query['pg[offset]'],
        limit: query['pg[limit]'],
        sortBy: query['pg[sortBy]'],
        sortDir: query['pg[sortDir]'],
      };
      const docs = await store.incompleteExecutions.list({
        orgId,
        ...(query.executionId === undefined ? {} : { executionId: query.executionId }),
        filter: ieQueryOfQueryString(query),
        ...pg,
      });
      return { dlqs: docs.map(toDlqListItem), pg };
    },
  );

  app.get(
    '/dlqs/:dlqId',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: 'Get an incomplete execution',
        params: dlqIdParams,
        response: { 200: z.object({ dlq: dlqSchema }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const doc = await visibleIe(orgId, request.params.dlqId);
      const [scenario, organization] = await Promise.all([
        store.scenarios.get(orgId, doc.scenarioId),
        store.organizations.get(orgId),
      ]);
      return { dlq: toDlqView(doc, scenario?.name ?? doc.scenarioName, organization) };
    },
  );

  app.get(
    '/dlqs/:dlqId/blueprint',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: 'The blueprint the next attempt runs: as it was when the IE was stored, patched if patched',
        params: dlqIdParams,
        response: {
          200: z.object({ code: z.literal('OK'), response: z.object({ blueprint: blueprintObject }) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const doc = await visibleIe(orgId, request.params.dlqId);
      if (!doc.blueprint) throw notFound(`blueprint of incomplete execution ${doc._id}`);
      return { code: 'OK' as const, response: { blueprint: JSON.parse(doc.blueprint) as Record<string, unknown> } };
    },
  );

  app.get(
    '/dlqs/:dlqId/bundle',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: "The IE's bundles, keyed by module id: `{ value }` before the failed module, `{ error }` for it",
        description: 'A resolved IE keeps only the error: its bundles are removed once it is resolved.',
        params: dlqIdParams,
        response: { 200: z.object({ code: z.literal('OK'), response: bundleResponseSchema }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const doc = await visibleIe(orgId, request.params.dlqId);
      const response: z.output<typeof bundleResponseSchema> = {};
      // Large bundles are kept by reference: the caller sees the bundle itself.
      for (const [moduleId, value] of Object.entries(await inlineContext(store, doc))) response[moduleId] = { value };
      response[String(doc.failer)] = { error: { type: doc.error.type, message: doc.error.message } };
      return { code: 'OK' as const, response };
    },
  );

  app.patch(
    '/dlqs/:dlqId',
    {
      config: { scope: 'dlqs:write' },
      schema: {
        tags,
        summary:
          'Change what the next attempt uses: the blueprint (JSON text, as Make sends it, or an object), the failer, the bundles',
        description: 'All or nothing: a refused PATCH changes nothing. 409 while an attempt runs or once resolved.',
        params: dlqIdParams,
        body: patchDlqBody(registry),
        response: {
          200: z.object({ dlq: z.object({ failer: z.int(), blueprint: blueprintObject }) }),
          ...errors,
          409: errorBodySchema,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const { dlqId } = request.params;
      await requestOnIe(request, 'patch', patchRequest(request.body));
      const doc = await visibleIe(auth.orgId, dlqId);
      return { dlq: { failer: doc.failer, blueprint: JSON.parse(doc.blueprint ?? '{}') as Blueprint } };
    },
  );

  app.post(
    '/dlqs/:dlqId/retry',
    {
      config: { scope: 'dlqs:write' },
      schema: {
        tags,
        summary: 'Retry now with the stored blueprint and bundles (answers once the attempt has started)',
        description:
          '409 with `detail.reason` when it cannot: an attempt in progress, resolved, deleted. imex: `from` starts ' +
          'at an earlier module, `blueprint: "current"` runs the scenario\'s current blueprint (kept by the IE from ' +
          'then on); both are checked as `GET /dlqs/{id}/plan` plans them (400 naming the field), and the answer ' +
          'carries that plan. An `Idempotency-Key` header makes a repeated request answer as the first did.',
        params: dlqIdParams,
        headers: idempotencyHeaders,
        body: retryDlqBody,
        response: {
          200: z.object({ dlq: z.string(), plan: retryPlanSchema.optional() }),
          ...errors,
          409: errorBodySchema,
        },
      },
    },
    async (request) => {
      const { dlqId } = request.params;
      const { reason, from, blueprint } = request.body ?? {};
      const note = reason === undefined ? {} : { reason };
      let plan: RetryPlan | undefined;
      await requestOnIe(request, 'retry', note, async (doc) => {
        if (from === undefined && blueprint === undefined) return note;
        const planned = await planRetryOf(store, doc, { from, blueprint }, 'body');
        plan = planned.plan;
        return {
          ...note,
          ...(from === undefined ? {} : { from }),
          ...(blueprint === 'current' ? { blueprint: planned.blueprint } : {}),
        };
      });
      return { dlq: dlqId, ...(plan ? { plan } : {}) };
    },
  );

  app.post(
    '/dlqs/:dlqId/resolve',
    {
      config: { scope: 'dlqs:write' },
      schema: {
        tags,
        summary: 'imex: patch (optional body, as PATCH) and retry now, as one request',
        description: "Not in Make's API: Make resolves by PATCH then retry. 409 as retry; `Idempotency-Key` as retry.",
        params: dlqIdParams,
        headers: idempotencyHeaders,
        body: resolveDlqBody(registry),
        response: { 200: z.object({ dlq: z.string() }), ...errors, 409: errorBodySchema },
      },
    },
    async (request) => {
      const { dlqId } = request.params;
      await requestOnIe(request, 'resolve', patchRequest(request.body ?? {}));
      return { dlq: dlqId };
    },
  );

  app.get(
    '/dlqs/:dlqId/changes',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: "imex: the IE's change log, newest first: who changed what, when and why",
        description:
          'Every patch, resolve, retry and delete: the actor (API token id and name, or `temporal signal` / ' +
          "`temporal update` for requests sent through Temporal directly), the time, the request's `reason`, and " +
          'the before/after of what changed (bundles per module id, failer, a blueprint summary). Large values ' +
          'are summaries (`{ summary: true, sha256, bytes }`). Kept as long as the IE, deleted ones included; ' +
          'purged with it. Paging `pg[offset]`, `pg[limit]` (default 100).',
        params: dlqIdParams,
        querystring: dlqChangesQuery,
        response: {
          200: z.object({
            dlqChanges: z.array(dlqChangeSchema),
            pg: z.object({ offset: z.int(), limit: z.int(), total: z.int() }),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { dlqId } = request.params;
      // A deleted IE's log stays readable: the delete is part of it.
      const doc = await store.incompleteExecutions.get(dlqId);
      if (!doc || doc.orgId !== orgId) throw notFound(`incomplete execution ${dlqId}`);
      const offset = request.query['pg[offset]'];
      const limit = request.query['pg[limit]'];
      const page = await store.ieChanges.page(dlqId, offset, limit);
      return { dlqChanges: page.changes as DlqChangeView[], pg: { offset, limit, total: page.total } };
    },
  );

  app.get(
    '/dlqs/:dlqId/logs',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: "The IE's attempts, newest first (status 1 success, 2 warning, 3 error)",
        description: "Make's filters: `status`, `from` and `to` (UNIX ms, the attempt's start).",
        params: dlqIdParams,
        querystring: dlqLogsQuery,
        response: { 200: z.object({ dlqLogs: z.array(dlqLogSchema) }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const doc = await visibleIe(orgId, request.params.dlqId);
      const { status, from, to } = request.query;
      const attempts = (await store.executions.listByIncompleteExecution(doc._id))
        .filter((attempt) => attempt.orgId === orgId)
        .map(toDlqLog)
        .filter((log) => status === undefined || log.status === status)
        .filter((log) => from === undefined || Date.parse(log.timestamp) >= from)
        .filter((log) => to === undefined || Date.parse(log.timestamp) < to)
        .reverse();
      return { dlqLogs: attempts };
    },
  );

  app.get(
    '/dlqs/:dlqId/logs/:logId',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: 'One attempt, with its per-module log',
        params: dlqLogParams,
        response: { 200: z.object({ dlqLog: dlqLogDetailSchema }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { dlqId, logId } = request.params;
      await visibleIe(orgId, dlqId);
      const attempt = await store.executions.get(orgId, logId);
      if (!attempt || attempt.ieId !== dlqId) throw notFound(`log ${logId} of incomplete execution ${dlqId}`);
      return { dlqLog: { ...toDlqLog(attempt), log: attempt.log.map(toModuleLog) } };
    },
  );
};

/** `Idempotency-Key` (the IETF draft's name, as `POST /hooks` takes it): any text up to 200 characters. */
const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'imex: the same key sent again (same organization, IE and request kind) is answered as the first request was',
    ),
});

/** The request id the IE's workflow remembers: one per request, or one per key when the caller sends one. */
function requestIdOf(
  request: FastifyRequest,
  auth: AuthContext,
  ieId: string,
  kind: string,
): { id: string; idempotent: boolean } {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') return { id: crypto.randomUUID(), idempotent: false };
  const digest = crypto.createHash('sha256').update(`${auth.orgId}:${ieId}:${kind}:${key}`).digest('hex');
  return { id: `key-${digest.slice(0, 40)}`, idempotent: true };
}

function patchRequest(body: {
  blueprint?: Blueprint;
  failer?: number;
  bundles?: PatchRequest['bundles'];
  reason?: string;
}): PatchRequest {
  return {
    ...(body.blueprint === undefined ? {} : { blueprint: body.blueprint }),
    ...(body.failer === undefined ? {} : { failer: body.failer }),
    ...(body.bundles === undefined ? {} : { bundles: body.bundles }),
    ...(body.reason === undefined ? {} : { reason: body.reason }),
  };
}

/**
 * The IE workflow's refusal as an answer. What the request asked for (a failer that is not in the
 * blueprint, bundles of modules after it) is a 400 naming the field; the IE's state (an attempt in
 * progress, resolved, deleted) is a 409 with the reason. Either way nothing changed.
 */
function refusal(ieId: string, error: unknown): unknown {
  if (!(error instanceof Error) || error.name !== 'RequestRejectedError') return error;
  const reason = (error as Error & { reason: string }).reason;
  const field = /^(failer|bundles(?:\.\d+(?:\.value)?)?|invalid blueprint)\b/.exec(reason)?.[1];
  if (field) {
    const path = field === 'invalid blueprint' ? 'blueprint' : field;
    return validationError([{ path, in: 'body', message: reason }]);
  }
  return conflict(`incomplete execution ${ieId}: ${reason}`, { reason });
}
