/**
 * Scenario shapes on the wire (Make's field names), and the scenario as the API shows it.
 * Request schemas that check blueprints need the module registry, so they are built per server.
 */
import { z } from 'zod';
import {
  executionStatusCode,
  exportSchedulingOf,
  schedulingSchema,
  scenarioSettingsSchema,
  validateBlueprint,
  type Blueprint,
  type ModuleLookup,
  type ScenarioSettings,
} from '../../domain';
import type { ExecutionRecord, Scenario } from '../../store';
import { checkedJson, integerIdParam, pagingQuery, querySchema, type NestedFieldIssue } from '../validation';

export const scenarioIdParams = z.object({ scenarioId: integerIdParam });

export const pagingQuerySchema = querySchema(pagingQuery());
export const pagingResponseSchema = z.object({ offset: z.int(), limit: z.int() });

/** `metadata.scenario` settings that PATCH may change; unknown keys are refused by name. */
export const scenarioSettingsPatchSchema = z
  .strictObject({
    dlq: z.boolean().optional().describe('Allow storing of incomplete executions'),
    sequential: z.boolean().optional(),
    dataloss: z.boolean().optional(),
    confidential: z.boolean().optional(),
    maxErrors: z.int().min(0).optional(),
    autoCommit: z.boolean().optional(),
    autoCommitTriggerLast: z.boolean().optional(),
    roundtrips: z.int().min(1).optional(),
    slots: z.int().positive().nullable().optional(),
    freshVariables: z.boolean().optional(),
  })
  .describe("Settings merged into the blueprint's metadata.scenario");
export type ScenarioSettingsPatch = z.output<typeof scenarioSettingsPatchSchema>;

/**
 * A blueprint as Make sends it (JSON text) or as an object (an export's `{ blueprint, … }` wrapper
 * too), checked with `validateBlueprint`: each error names the module, the field and the reason.
 */
export function blueprintField(registry: ModuleLookup) {
  return z
    .union([z.string(), z.record(z.string(), z.unknown())], {
      error: 'must be a blueprint: an object or its JSON text',
    })
    .transform((value, ctx): Blueprint => {
      let input: unknown = value;
      if (typeof value === 'string') {
        try {
          input = JSON.parse(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `is not valid JSON: ${(error as Error).message}` });
          return z.NEVER;
        }
      }
      const result = validateBlueprint(input, registry);
      if (!result.ok) {
        for (const error of result.errors) {
          const params: NestedFieldIssue = { subpath: error.path, moduleId: error.moduleId };
          ctx.addIssue({ code: 'custom', message: error.message, params });
        }
        return z.NEVER;
      }
      return result.blueprint;
    })
    .describe('Make blueprint `{ name, flow, metadata }`, as an object or as JSON text');
}

/** Make's `scheduling` (object or JSON text); docs/api.md lists the types. */
export const schedulingField = schedulingSchema.describe(
  'How the scenario runs besides on demand (Make\'s scheduling): `{ type: "indefinitely", interval: <seconds> }`, ' +
    '`once` (`date`), `daily` (`time` HH:mm), `weekly` (`days` 0-6, `time`), `monthly` (`days` 1-31, `time`), ' +
    '`yearly` (`months`, `days`, `time`), each with optional `restrict: [{ days, months, time: [from, to] }]`, ' +
    '`between: [start, end]` and `timezone`; imex\'s `{ type: "cron", cron: "*/5 * * * *" }`; `{ type: "immediately" }` ' +
    '(its webhook) or `{ type: "on-demand" }`. A Temporal Schedule runs it, paused while the scenario is inactive.',
);

const nameField = z.string().trim().min(1, 'must not be empty').max(120, 'must be at most 120 characters');

/**
 * A Make export's own `scheduling` (`blueprint: { blueprint, scheduling }`) applies when the body
 * gives none, so an imported scenario runs as it did in Make.
 */
function withExportScheduling(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const fields = body as Record<string, unknown>;
  if (fields.scheduling !== undefined) return body;
  const scheduling = exportSchedulingOf(fields.blueprint);
  return scheduling === undefined ? body : { ...fields, scheduling };
}

export function createScenarioBody(registry: ModuleLookup) {
  return z.preprocess(
    withExportScheduling,
    z.strictObject({
      name: nameField.optional().describe("Defaults to the blueprint's name"),
      blueprint: blueprintField(registry),
      settings: scenarioSettingsPatchSchema.optional(),
      teamId: z.int().positive().optional().describe('Accepted for Make compatibility; imex has no teams'),
      folderId: z.int().positive().nullable().optional().describe('Accepted for Make compatibility; ignored'),
      scheduling: schedulingField.optional().describe("Defaults to a Make export's own scheduling"),
    }),
  );
}

export function patchScenarioBody(registry: ModuleLookup) {
  return z.strictObject({
    name: nameField.optional(),
    blueprint: blueprintField(registry).optional(),
    settings: scenarioSettingsPatchSchema.optional(),
    scheduling: schedulingField.optional(),
  });
}

export const deleteScenarioQuery = querySchema({
  force: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((value) => value === 'true')
    .describe('true: delete its incomplete executions too (refused without it while it has open ones)'),
});

export const runScenarioBody = z
  .strictObject({
    data: checkedJson(z.unknown()).optional().describe("The trigger's input: becomes the first bundles"),
    responsive: z
      .boolean({ error: 'must be true or false' })
      .optional()
      .describe("Make's responsive: answer when the run has ended, with its status"),
    callbackUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
      .max(2048, 'must be at most 2048 characters')
      .optional()
      .describe("Make's callbackUrl: the run POSTs { executionId, scenarioId, status, error? } there when it ends"),
  })
  // No body at all reaches validation as null.
  .nullish();

export const runScenarioResponse = z.object({
  executionId: z.string(),
  /** With `responsive`: Make's code of how the run ended (1 success, 2 warning, 3 error). */
  status: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
  error: z.object({ type: z.string(), message: z.string(), moduleId: z.int().optional() }).optional(),
});

export const scenarioSettingsViewSchema = z.object({
  dlq: z.boolean(),
  sequential: z.boolean(),
  dataloss: z.boolean(),
  confidential: z.boolean(),
  maxErrors: z.int(),
  autoCommit: z.boolean(),
  autoCommitTriggerLast: z.boolean(),
  roundtrips: z.int(),
  slots: z.int().nullable(),
  freshVariables: z.boolean(),
});

export const scenarioSchema = z
  .object({
    id: z.int(),
    name: z.string(),
    /** Make's organization id. */
    companyId: z.int(),
    isActive: z.boolean(),
    isWaitingOnIncompleteExecutions: z.boolean(),
    dlqCount: z.int(),
    /** Apps the blueprint uses (`http`, `json`, …), as Make's `usedPackages`. */
    usedPackages: z.array(z.string()),
    settings: scenarioSettingsViewSchema,
    /** Why imex deactivated the scenario (e.g. incomplete-execution storage full). */
    deactivationReason: z.string().optional(),
    /** How it runs besides on demand (Make's `scheduling`); absent: on demand. */
    scheduling: z.record(z.string(), z.unknown()).optional(),
    /** Its webhook's id, when its trigger is `gateway:CustomWebHook`: `POST /hooks/<hookId>` (no token). */
    hookId: z.string().optional(),
    hookPath: z.string().optional(),
    created: z.string(),
    lastEdit: z.string(),
  })
  .meta({ id: 'Scenario' });
export type ScenarioView = z.output<typeof scenarioSchema>;

/** What the scenario list shows about a scenario's incomplete executions. */
export interface IncompleteExecutionStats {
  dlqCount: number;
  isWaitingOnIncompleteExecutions: boolean;
}

export function settingsOf(blueprint: Blueprint): ScenarioSettings {
  const parsed = scenarioSettingsSchema.safeParse(blueprint.metadata?.scenario ?? {});
  return parsed.success ? parsed.data : scenarioSettingsSchema.parse({});
}

export function withSettings(blueprint: Blueprint, settings: ScenarioSettingsPatch | undefined): Blueprint {
  if (!settings) return blueprint;
  const metadata = blueprint.metadata ?? {};
  return { ...blueprint, metadata: { ...metadata, scenario: { ...metadata.scenario, ...settings } } };
}

export function toScenarioView(scenario: Scenario, stats: IncompleteExecutionStats): ScenarioView {
  const settings = settingsOf(scenario.blueprint);
  const view: ScenarioView = {
    id: scenario.id,
    name: scenario.name,
    companyId: scenario.orgId,
    isActive: scenario.isActive,
    isWaitingOnIncompleteExecutions: stats.isWaitingOnIncompleteExecutions,
    dlqCount: stats.dlqCount,
    usedPackages: [...new Set(scenario.blueprint.flow.map((module) => module.module.split(':')[0] ?? module.module))],
    settings: {
      dlq: settings.dlq,
      sequential: settings.sequential,
      dataloss: settings.dataloss,
      confidential: settings.confidential,
      maxErrors: settings.maxErrors,
      autoCommit: settings.autoCommit,
      autoCommitTriggerLast: settings.autoCommitTriggerLast,
      roundtrips: settings.roundtrips,
      slots: settings.slots,
      freshVariables: settings.freshVariables,
    },
    created: scenario.createdAt.toISOString(),
    lastEdit: scenario.updatedAt.toISOString(),
  };
  if (scenario.deactivationReason) view.deactivationReason = scenario.deactivationReason;
  if (scenario.scheduling) view.scheduling = { ...scenario.scheduling };
  if (scenario.hookId) {
    view.hookId = scenario.hookId;
    view.hookPath = `/hooks/${scenario.hookId}`;
  }
  return view;
}

export const scenarioLogSchema = z
  .object({
    /** The execution id (32 hex). */
    id: z.string(),
    /** Make's codes: 1 success, 2 warning, 3 error. */
    status: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    /** When the run started (ISO 8601). */
    timestamp: z.string(),
    /** Milliseconds. */
    duration: z.number(),
    operations: z.int(),
    trigger: z.enum(['manual', 'webhook', 'schedule', 'attempt']),
    /** Set when the run was an attempt of this incomplete execution. */
    ieId: z.string().optional(),
    error: z.object({ type: z.string(), message: z.string(), moduleId: z.int().optional() }).optional(),
    /**
     * Failed bundles this run dropped instead of storing them as incomplete executions ("enable
     * data loss" with the organization's storage full); absent when none were.
     */
    discarded: z.array(z.object({ moduleId: z.int(), bundleIndex: z.int(), reason: z.string() })).optional(),
  })
  .meta({ id: 'ScenarioLog' });
export type ScenarioLogView = z.output<typeof scenarioLogSchema>;

export function toScenarioLog(execution: ExecutionRecord): ScenarioLogView {
  const log: ScenarioLogView = {
    id: execution.executionId,
    status: executionStatusCode(execution.status),
    timestamp: execution.startedAt.toISOString(),
    duration: execution.durationMs,
    operations: execution.operations,
    trigger: execution.trigger,
  };
  if (execution.ieId) log.ieId = execution.ieId;
  if (execution.error) log.error = execution.error;
  if (execution.discarded?.length) log.discarded = execution.discarded.map((d) => ({ ...d }));
  return log;
}
