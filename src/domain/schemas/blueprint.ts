/**
 * Make's blueprint, as zod (DESIGN.md §6). Shapes follow real exports: unknown keys are kept
 * (never rejected), and Make's defaults fill what an export leaves out. Which modules and
 * features imex can run is checked by `validateBlueprint`, not here.
 */
import { z } from 'zod';
import type { BlueprintModule } from '../blueprint';
import { FLOW_EMPTY_MESSAGE } from '../incomplete-execution-requests';
import { filterSchema } from './filter';
import { policyOverridesSchema } from './policy';
import { durationSchema, retryScheduleSchema } from './schedule';
import { isTimeZone } from '../iml/dates/zone';

const jsonObject = z.record(z.string(), z.unknown());

/** `null` or missing → `{}`: exports of modules without fields carry either. */
const objectOrEmpty = z.preprocess((value) => value ?? {}, jsonObject);

/** `null` or missing → undefined: exports carry `"filter": null` and empty arrays alike. */
function optionalOrNull<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

export const blueprintModuleSchema: z.ZodType<BlueprintModule, unknown> = z.looseObject({
  id: z.int().positive(),
  /** `app:ModuleName`, e.g. `http:ActionSendData`. */
  module: z.string().min(1),
  version: z.int().positive().default(1),
  /** Static configuration, set when the scenario is designed. */
  parameters: objectOrEmpty,
  /** Fields that may hold `{{…}}` mappings, evaluated per bundle. */
  mapper: objectOrEmpty,
  /** Designer state (`designer`, `restore`, `parameters`, `expect`, …): kept, never interpreted. */
  metadata: jsonObject.optional(),
  /** Make's filter on the link into this module (an OR of ANDs); operators are checked by validation. */
  filter: optionalOrNull(filterSchema),
  /** The error-handler route: modules, then optionally a directive (`builtin:Break`, …). */
  get onerror() {
    return optionalOrNull(z.array(blueprintModuleSchema));
  },
  /** `builtin:BasicRouter` only: every bundle goes through each route, in order. */
  get routes() {
    return optionalOrNull(z.array(z.looseObject({ flow: z.array(blueprintModuleSchema).default([]) })));
  },
}) as unknown as z.ZodType<BlueprintModule, unknown>;

/**
 * imex's own per-scenario settings (`metadata.scenario.imex`): overrides of the category →
 * policy table (DESIGN.md §5) and of the incomplete executions' auto-retry schedule. Unknown
 * keys are errors here, so a typo is named rather than silently ignored.
 */
export const scenarioImexSchema = z.strictObject({
  policy: policyOverridesSchema.optional(),
  /** Delays after each attempt: `[60000, 600000]`, `["1m", "10m"]` or `"1m,10m"`; stored as ms. */
  schedule: retryScheduleSchema.optional(),
  /**
   * Delays before each rerun of the whole scenario after a transient error of a scheduled run
   * (Make's exponential backoff, `makeRerunSchedule` by default); its length is how many reruns.
   */
  rerunSchedule: retryScheduleSchema.optional(),
  /**
   * Longest run (ms or a duration, `"40m"`): past it the run ends with Make's
   * ExecutionInterrupted warning (the deployment's `IMEX_RUN_LIMIT` by default).
   */
  runLimit: durationSchema.optional(),
  /** Most webhook payloads waiting in this scenario's queue; past it the hook answers 429 (default: the deployment's). */
  webhookQueueCap: z.int().positive().optional(),
  /** IANA zone for mappings' dates (`formatDate`, `parseDate`, `set*`, dates without a zone); UTC when absent. */
  timezone: z.string().refine(isTimeZone, 'not an IANA time zone (e.g. "Europe/Prague")').optional(),
  /**
   * A sequential webhook scenario's business key, an IML template over the trigger's bundle
   * (`{{1.customerId}}`): a payload waits only on open IEs with its key (src/domain/order-key.ts).
   */
  orderKey: z.string().min(1).max(1000).optional(),
});

/** `metadata.scenario`, with Make's defaults (reference §1.1). */
export const scenarioSettingsSchema = z.looseObject({
  /** "Allow storing of incomplete executions": off by default. */
  dlq: z.boolean().default(false),
  sequential: z.boolean().default(false),
  dataloss: z.boolean().default(false),
  confidential: z.boolean().default(false),
  maxErrors: z.int().min(0).default(3),
  autoCommit: z.boolean().default(true),
  autoCommitTriggerLast: z.boolean().default(true),
  roundtrips: z.int().min(1).default(1),
  slots: z.int().positive().nullable().default(null),
  freshVariables: z.boolean().default(false),
  imex: scenarioImexSchema.optional(),
});

export const blueprintMetadataSchema = z.looseObject({
  instant: z.boolean().optional(),
  version: z.number().optional(),
  designer: z.unknown().optional(),
  scenario: scenarioSettingsSchema.prefault({}),
});

export const blueprintSchema = z.looseObject({
  name: z.string().default(''),
  flow: z.array(blueprintModuleSchema).min(1, FLOW_EMPTY_MESSAGE),
  metadata: blueprintMetadataSchema.prefault({}),
});
