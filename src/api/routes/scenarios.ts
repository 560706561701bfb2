/**
 * `/scenarios`: create (validated as the engine runs it), get, list, patch, start/stop, run, logs
 * and one run's detail
 * (DESIGN.md §7). Every lookup goes through the token's organization: another organization's
 * scenario is "not found".
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { executionStatusCodes, validateBlueprint } from '../../domain';
import type { Scenario } from '../../store';
import crypto from 'node:crypto';
import { actorOf, authOf } from '../auth';
import type { ApiDeps } from '../deps';
import { conflict, errorBodySchema, notFound, validationError } from '../errors';
import {
  createScenarioBody,
  deleteScenarioQuery,
  pagingQuerySchema,
  pagingResponseSchema,
  patchScenarioBody,
  runScenarioBody,
  runScenarioResponse,
  scenarioIdParams,
  scenarioLogSchema,
  scenarioSchema,
  settingsOf,
  toScenarioLog,
  toScenarioView,
  withSettings,
  type IncompleteExecutionStats,
  type ScenarioView,
} from '../schemas/scenarios';
import { RUN_DETAIL_DLQS_MAX, runDetailParams, runDetailSchema, toRunDetail } from '../schemas/run-detail';

const tags = ['scenarios'];
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema };
const scenarioEnvelope = z.object({ scenario: scenarioSchema });

/** Make answers a responsive run within 40 seconds; a longer run's caller gets its execution id. */
export const DEFAULT_RESPONSIVE_WAIT_MS = 40_000;

/** `promise`'s value, or undefined when it has not settled within `ms` (it goes on, unobserved). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  promise.catch(() => undefined); // a failure after the answer was sent is nobody's to handle
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export const scenarioRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { store, imex, registry } = deps;
  const responsiveWaitMs = deps.responsiveWaitMs ?? DEFAULT_RESPONSIVE_WAIT_MS;

  /**
   * Incomplete-execution counts for the scenario objects (Make's `dlqCount`: IEs not resolved and
   * not deleted). Sequential processing waits while the scenario has one (Make §1.3).
   */
  async function statsFor(orgId: number, scenarios: Scenario[]): Promise<Map<number, IncompleteExecutionStats>> {
    const counts = await Promise.all(scenarios.map((s) => store.incompleteExecutions.countOpen(orgId, s.id)));
    return new Map(
      scenarios.map((s, i) => {
        const dlqCount = counts[i] ?? 0;
        return [
          s.id,
          { dlqCount, isWaitingOnIncompleteExecutions: settingsOf(s.blueprint).sequential && dlqCount > 0 },
        ];
      }),
    );
  }

  async function views(orgId: number, scenarios: Scenario[]): Promise<ScenarioView[]> {
    const stats = await statsFor(orgId, scenarios);
    return scenarios.map((s) =>
      toScenarioView(s, stats.get(s.id) ?? { dlqCount: 0, isWaitingOnIncompleteExecutions: false }),
    );
  }

  async function view(orgId: number, scenario: Scenario): Promise<ScenarioView> {
    const [one] = await views(orgId, [scenario]);
    return one as ScenarioView;
  }

  async function scenarioOf(orgId: number, scenarioId: number): Promise<Scenario> {
    const scenario = await store.scenarios.get(orgId, scenarioId);
    if (!scenario) throw notFound(`scenario ${scenarioId}`);
    return scenario;
  }

  app.post(
    '/scenarios',
    {
      config: { scope: 'scenarios:write' },
      schema: {
        tags,
        summary: 'Create a scenario (inactive, as in Make)',
        body: createScenarioBody(registry),
        response: { 200: scenarioEnvelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const body = request.body;
      // The body's blueprint was validated with the request; only merged settings need a second look.
      const blueprint = body.settings ? checked(withSettings(body.blueprint, body.settings), registry) : body.blueprint;
      const name = body.name ?? (blueprint.name.trim() || undefined);
      if (!name) {
        throw validationError([{ path: 'name', in: 'body', message: 'required when the blueprint has no name' }]);
      }
      const scenario = await store.scenarios.create({
        orgId,
        name,
        blueprint,
        isActive: false,
        ...(body.scheduling ? { scheduling: body.scheduling } : {}),
      });
      await deps.triggers?.syncScenarioTriggers(orgId, scenario.id);
      return { scenario: await view(orgId, scenario) };
    },
  );

  app.get(
    '/scenarios',
    {
      config: { scope: 'scenarios:read' },
      schema: {
        tags,
        summary: "List the organization's scenarios",
        querystring: pagingQuerySchema,
        response: { 200: z.object({ scenarios: z.array(scenarioSchema), pg: pagingResponseSchema }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const offset = request.query['pg[offset]'];
      const limit = request.query['pg[limit]'];
      const page = (await store.scenarios.list(orgId)).slice(offset, offset + limit);
      return { scenarios: await views(orgId, page), pg: { offset, limit } };
    },
  );

  app.get(
    '/scenarios/:scenarioId',
    {
      config: { scope: 'scenarios:read' },
      schema: {
        tags,
        summary: 'Get a scenario',
        params: scenarioIdParams,
        response: { 200: scenarioEnvelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      return { scenario: await view(orgId, await scenarioOf(orgId, request.params.scenarioId)) };
    },
  );

  app.get(
    '/scenarios/:scenarioId/blueprint',
    {
      config: { scope: 'scenarios:read' },
      schema: {
        tags,
        summary: "Get a scenario's current blueprint",
        params: scenarioIdParams,
        response: {
          200: z.object({
            code: z.literal('OK'),
            response: z.object({ blueprint: z.record(z.string(), z.unknown()) }),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const scenario = await scenarioOf(orgId, request.params.scenarioId);
      return { code: 'OK' as const, response: { blueprint: scenario.blueprint } };
    },
  );

  app.patch(
    '/scenarios/:scenarioId',
    {
      config: { scope: 'scenarios:write' },
      schema: {
        tags,
        summary: "Change a scenario's name, blueprint or settings (all or nothing)",
        params: scenarioIdParams,
        body: patchScenarioBody(registry),
        response: { 200: scenarioEnvelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { scenarioId } = request.params;
      const current = await scenarioOf(orgId, scenarioId);
      const { name, blueprint, settings, scheduling } = request.body;
      const patch: { name?: string; blueprint?: Scenario['blueprint']; scheduling?: Scenario['scheduling'] } = {};
      if (name !== undefined) patch.name = name;
      if (scheduling !== undefined) patch.scheduling = scheduling;
      if (blueprint !== undefined || settings !== undefined) {
        patch.blueprint =
          blueprint !== undefined && settings === undefined
            ? blueprint
            : checked(withSettings(blueprint ?? current.blueprint, settings), registry);
      }
      // Everything is checked above: one write, or none.
      const updated = await store.scenarios.update(orgId, scenarioId, patch);
      if (!updated) throw notFound(`scenario ${scenarioId}`);
      await deps.triggers?.syncScenarioTriggers(orgId, scenarioId);
      return { scenario: await view(orgId, updated) };
    },
  );

  app.delete(
    '/scenarios/:scenarioId',
    {
      config: { scope: 'scenarios:write' },
      schema: {
        tags,
        summary: 'Delete a scenario; refused while it has open incomplete executions unless force=true',
        description:
          'Refused (409, with the reason) while the scenario has unresolved IEs, unless `force=true`: then every ' +
          'IE of the scenario is deleted through its workflow first (the workflow ends, its bundles, blueprint and ' +
          'quota are freed, a tombstone stays). Always refused while a run or an attempt is in progress.',
        params: scenarioIdParams,
        querystring: deleteScenarioQuery,
        response: {
          200: z.object({ scenario: z.object({ id: z.int(), deleted: z.literal(true), dlqsDeleted: z.int() }) }),
          ...errors,
          409: errorBodySchema,
        },
      },
    },
    async (request) => {
      const auth = authOf(request);
      const { orgId } = auth;
      const { scenarioId } = request.params;
      await scenarioOf(orgId, scenarioId);
      const open = await store.incompleteExecutions.countOpen(orgId, scenarioId);
      if (open > 0 && !request.query.force) {
        throw notDeletable(
          scenarioId,
          `it has ${open} open incomplete execution${open === 1 ? '' : 's'}: resolve or delete them, or delete with force=true`,
        );
      }
      const busy = await busyReason(orgId, scenarioId);
      if (busy) throw notDeletable(scenarioId, busy);
      // No new run (and so no new IE) from here on: inactive, its schedule gone.
      await store.scenarios.update(orgId, scenarioId, {
        isActive: false,
        deactivationReason: 'being deleted',
        scheduling: null,
      });
      await deps.triggers?.syncScenarioTriggers(orgId, scenarioId);
      const { deleted, refused } = await deleteIncompleteExecutionsOf(orgId, scenarioId, actorOf(auth));
      if (refused.length > 0) {
        throw notDeletable(
          scenarioId,
          `${refused.length} incomplete execution${refused.length === 1 ? '' : 's'} could not be deleted ` +
            `(${refused[0]?.reason}); the scenario is kept, inactive: try again`,
          { refused },
        );
      }
      await store.scenarios.delete(orgId, scenarioId);
      return { scenario: { id: scenarioId, deleted: true as const, dlqsDeleted: deleted } };
    },
  );

  /** Why the scenario cannot be deleted right now: a run or an attempt holds data in flight. */
  async function busyReason(orgId: number, scenarioId: number): Promise<string | undefined> {
    if ((await store.leases.list(scenarioId, 'run')).length > 0) return 'a run of it is in progress';
    const attempts = await store.incompleteExecutions.inProgressIds(orgId, scenarioId);
    if (attempts.length > 0) return `an attempt of incomplete execution ${attempts[0]} is in progress`;
    return undefined;
  }

  /** Every IE of the scenario (resolved ones too), each through its workflow as `DELETE /dlqs` does. */
  async function deleteIncompleteExecutionsOf(
    orgId: number,
    scenarioId: number,
    actor: ReturnType<typeof actorOf>,
  ): Promise<{ deleted: number; refused: { id: string; reason: string }[] }> {
    const refused: { id: string; reason: string }[] = [];
    let deleted = 0;
    for (;;) {
      const page = await store.incompleteExecutions.list({
        orgId,
        scenarioId,
        offset: refused.length,
        limit: 100,
        sortBy: 'created',
        sortDir: 'asc',
      });
      if (page.length === 0) return { deleted, refused };
      for (const doc of page) {
        try {
          await imex.deleteIncompleteExecution(doc._id, {
            requestId: crypto.randomUUID(),
            actor,
            reason: `scenario ${scenarioId} deleted`,
          });
          deleted++;
        } catch (error) {
          if (!(error instanceof Error) || error.name !== 'RequestRejectedError') throw error;
          refused.push({ id: doc._id, reason: (error as Error & { reason?: string }).reason ?? error.message });
        }
      }
    }
  }

  for (const action of ['start', 'stop'] as const) {
    app.post(
      `/scenarios/:scenarioId/${action}`,
      {
        config: { scope: 'scenarios:write' },
        schema: {
          tags,
          summary: action === 'start' ? 'Activate a scenario' : 'Deactivate a scenario',
          params: scenarioIdParams,
          response: { 200: z.object({ scenario: z.object({ id: z.int(), isActive: z.boolean() }) }), ...errors },
        },
      },
      async (request) => {
        const { orgId } = authOf(request);
        const { scenarioId } = request.params;
        await scenarioOf(orgId, scenarioId);
        const updated = await store.scenarios.update(orgId, scenarioId, { isActive: action === 'start' });
        if (!updated) throw notFound(`scenario ${scenarioId}`);
        // Its schedule is paused while it is inactive; a reactivated one's queued payloads run.
        await deps.triggers?.syncScenarioTriggers(orgId, scenarioId);
        return { scenario: { id: updated.id, isActive: updated.isActive } };
      },
    );
  }

  app.post(
    '/scenarios/:scenarioId/run',
    {
      config: { scope: 'scenarios:write' },
      schema: {
        tags,
        summary: 'Run an active scenario now with input data',
        description:
          'Make: "The scenario has to be active." An inactive scenario answers 409 with the reason. ' +
          '`responsive: true` answers when the run has ended, with its status, or after 40 s with 202 and the ' +
          'execution id alone (the run goes on; its log and `callbackUrl` tell how it ended); `callbackUrl` gets the outcome ' +
          'POSTed when it ends, delivered by the run itself (retried while the receiver fails, about two minutes).',
        params: scenarioIdParams,
        body: runScenarioBody,
        response: { 200: runScenarioResponse, 202: runScenarioResponse, ...errors, 409: errorBodySchema },
      },
    },
    async (request, reply) => {
      const { orgId } = authOf(request);
      const { scenarioId } = request.params;
      const scenario = await scenarioOf(orgId, scenarioId);
      if (!scenario.isActive) throw notRunnable(scenarioId, inactiveReason(scenario));
      try {
        const { executionId } = await imex.startScenarioRun({
          orgId,
          scenarioId,
          data: request.body?.data,
          trigger: 'manual',
          ...(request.body?.callbackUrl ? { callbackUrl: request.body.callbackUrl } : {}),
        });
        if (!request.body?.responsive) return { executionId };
        // Make's responsive: the answer waits for the run's end (its result is durable in Temporal),
        // for as long as Make waits; past that the caller gets the execution id to look it up by.
        const result = await within(imex.scenarioRunResult(executionId), responsiveWaitMs);
        if (result === undefined) {
          reply.code(202);
          return { executionId };
        }
        return {
          executionId,
          status: executionStatusCodes[result.status],
          ...(result.error ? { error: result.error } : {}),
        };
      } catch (error) {
        if (isScenarioNotRunnable(error)) throw notRunnable(scenarioId, error.reason);
        // Deleted between the lookup above and the start.
        if (error instanceof Error && error.name === 'ScenarioNotFoundError') throw notFound(`scenario ${scenarioId}`);
        throw error;
      }
    },
  );

  app.get(
    '/scenarios/:scenarioId/logs',
    {
      config: { scope: 'scenarios:read' },
      schema: {
        tags,
        summary: "A scenario's runs, newest first (status 1 success, 2 warning, 3 error)",
        params: scenarioIdParams,
        querystring: pagingQuerySchema,
        response: { 200: z.object({ scenarioLogs: z.array(scenarioLogSchema), pg: pagingResponseSchema }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { scenarioId } = request.params;
      await scenarioOf(orgId, scenarioId);
      const offset = request.query['pg[offset]'];
      const limit = request.query['pg[limit]'];
      const executions = await store.executions.listByScenario(orgId, scenarioId, { offset, limit });
      return { scenarioLogs: executions.map(toScenarioLog), pg: { offset, limit } };
    },
  );

  app.get(
    '/scenarios/:scenarioId/logs/:executionId',
    {
      config: { scope: 'scenarios:read' },
      schema: {
        tags,
        summary: "One run: its module operations and the incomplete executions it parked (Make's HISTORY)",
        description:
          'Lists at most 100 of the IEs the run parked (`dlqCount` counts them all; `GET /dlqs?executionId=` pages ' +
          'them) and the bundles it discarded under "enable data loss", each with its reason.',
        params: runDetailParams,
        response: { 200: z.object({ scenarioLog: runDetailSchema }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { scenarioId, executionId } = request.params;
      await scenarioOf(orgId, scenarioId);
      const execution = await store.executions.get(orgId, executionId);
      if (!execution || execution.scenarioId !== scenarioId) {
        throw notFound(`run ${executionId} of scenario ${scenarioId}`);
      }
      const [dlqs, dlqCount] = await Promise.all([
        store.incompleteExecutions.list({
          orgId,
          executionId,
          offset: 0,
          limit: RUN_DETAIL_DLQS_MAX,
          sortBy: 'created',
          sortDir: 'asc',
        }),
        store.incompleteExecutions.countByExecution(orgId, executionId),
      ]);
      return { scenarioLog: toRunDetail(execution, dlqs, dlqCount) };
    },
  );
};

/** Re-checks a blueprint after settings were merged in; errors name `blueprint.<path>`. */
function checked(blueprint: Scenario['blueprint'], registry: ApiDeps['registry']): Scenario['blueprint'] {
  const result = validateBlueprint(blueprint, registry);
  if (result.ok) return result.blueprint;
  throw validationError(
    result.errors.map((error) => ({
      path: error.path ? `blueprint.${error.path}` : 'blueprint',
      message: error.message,
      in: 'body' as const,
      ...(error.moduleId === undefined ? {} : { moduleId: error.moduleId }),
    })),
  );
}

function inactiveReason(scenario: Scenario): string {
  return scenario.deactivationReason
    ? `the scenario is not active (deactivated: ${scenario.deactivationReason})`
    : 'the scenario is not active: start it first';
}

function notDeletable(scenarioId: number, reason: string, detail: Record<string, unknown> = {}) {
  return conflict(`scenario ${scenarioId} cannot be deleted: ${reason}`, { reason, ...detail });
}

function notRunnable(scenarioId: number, reason: string) {
  return conflict(`scenario ${scenarioId} cannot run: ${reason}`, { reason });
}

function isScenarioNotRunnable(error: unknown): error is Error & { reason: string } {
  return (
    error instanceof Error &&
    error.name === 'ScenarioNotRunnableError' &&
    typeof (error as { reason?: unknown }).reason === 'string'
  );
}
