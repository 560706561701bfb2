/**
 * `/dlqs/{id}/plan` and `/dlqs/{id}/blueprint-diff`: what a retry would run, and how the IE's
 * blueprint differs from its scenario's current one, so that a person chooses knowing both
 * (issue 21). Read-only: the retry itself is `POST /dlqs/{id}/retry` (dlqs.ts), which checks its
 * `from` and `blueprint` with the same plan.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { diffBlueprints } from '../../domain';
import { authOf } from '../auth';
import type { ApiDeps } from '../deps';
import { conflict, errorBodySchema, notFound } from '../errors';
import { planRetryOf, storedBlueprint } from '../retry-plans';
import { requireDataScope } from '../confidential-data';
import { blueprintDiffSchema, retryPlanSchema } from '../schemas/dlq-plans';
import { dlqIdParams, dlqPlanQuery } from '../schemas/dlqs';

const tags = ['incomplete executions'];
const errors = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
};

export const dlqPlanRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { store }) => {
  async function visibleIe(orgId: number, ieId: string) {
    const doc = await store.incompleteExecutions.getVisible(orgId, ieId);
    if (!doc) throw notFound(`incomplete execution ${ieId}`);
    // Its data went with the resolution: say so, rather than that the IE does not exist.
    if (doc.resolved)
      throw conflict(`incomplete execution ${ieId} is resolved: there is nothing left to retry or compare`);
    return doc;
  }

  app.get(
    '/dlqs/:dlqId/plan',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: 'imex: what a retry would run, before it runs',
        description:
          'The modules in order (filters and routes evaluated on the stored data as far as it allows), the stored ' +
          'outputs reused, the modules that would call a service again, and warnings (a module on the path that is ' +
          'not idempotent, mappings that would be empty). `from` (default: the failed module) and `blueprint` ' +
          '(`stored`, default, or `current`) as `POST /dlqs/{id}/retry` takes them; a start or blueprint the retry ' +
          'could not use is a 400 naming it. A resolved IE has no plan (409).',
        params: dlqIdParams,
        querystring: dlqPlanQuery,
        response: { 200: z.object({ plan: retryPlanSchema }), ...errors },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const doc = await visibleIe(auth.orgId, request.params.dlqId);
      // The plan evaluates filters and mappings on the stored bundles and shows what they give.
      requireDataScope(auth, doc, 'retry plan');
      const { plan } = await planRetryOf(store, doc, request.query, 'query');
      return { plan };
    },
  );

  app.get(
    '/dlqs/:dlqId/blueprint-diff',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: "imex: the IE's blueprint against its scenario's current one, module by module",
        description:
          'Modules added and removed, and for each module in both the fields that changed (`mapper.url`, ' +
          '`filter.conditions.0.0.b` …) with their values before (stored) and after (current); `settings` for ' +
          '`metadata.scenario`. 404 when the scenario no longer exists.',
        params: dlqIdParams,
        response: { 200: z.object({ diff: blueprintDiffSchema }), ...errors },
      },
    },
    async (request) => {
      const doc = await visibleIe(authOf(request).orgId, request.params.dlqId);
      const scenario = await store.scenarios.get(doc.orgId, doc.scenarioId);
      if (!scenario) throw notFound(`scenario ${doc.scenarioId}`);
      return { diff: diffBlueprints(storedBlueprint(doc), scenario.blueprint) };
    },
  );
};
