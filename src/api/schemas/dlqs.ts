/**
 * Incomplete-execution ("dlq") shapes on the wire, as Make's API names them (DESIGN.md §7,
 * reference/make-incomplete-executions.md §6), plus imex's `status`, `errorType`, `failer` and
 * `nextRetryAt`, and the bulk operations that carry out bulk retries and deletes.
 */
import { z } from 'zod';
import {
  blueprintChoices,
  bundlesPatchSchema,
  executionStatusCode,
  ieChangeKinds,
  ieChangeReasonSchema,
  ieStatuses,
  type ModuleLookup,
  type ModuleLogEntry,
} from '../../domain';
import type {
  BulkOperationDocument,
  BulkProgress,
  ExecutionRecord,
  IncompleteExecutionDocument,
  IncompleteExecutionSummary,
  Organization,
} from '../../store';
import { checkedJson, integerIdParam, pagingQuery, querySchema } from '../validation';
import { ieQueryStringFields, repeatableScenarioId } from './ie-query';
import { blueprintField } from './scenarios';

const hex32Message = 'must be 32 lowercase hex characters';
export const hex32 = z.string().regex(/^[0-9a-f]{32}$/, hex32Message);

export const dlqIdParams = z.object({ dlqId: hex32 });
export const dlqLogParams = z.object({ dlqId: hex32, logId: hex32 });
export const operationIdParams = z.object({ operationId: hex32 });

const sortByValues = ['created', 'size', 'attempts'] as const;

export const listDlqsQuery = querySchema({
  scenarioId: repeatableScenarioId
    .optional()
    .describe("The scenario's IEs (Make requires it; imex lists the organization's without it; repeatable)"),
  executionId: hex32
    .optional()
    .describe('The IEs this run parked (its detail: `GET /scenarios/{id}/logs/{executionId}`)'),
  ...pagingQuery(),
  'pg[sortBy]': z.enum(sortByValues, { error: `must be one of ${sortByValues.join(', ')}` }).default('created'),
  'pg[sortDir]': z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).default('desc'),
  ...ieQueryStringFields,
});

export const bulkScenarioQuery = querySchema({ scenarioId: integerIdParam });

export const bulkDeleteQuery = querySchema({
  scenarioId: integerIdParam,
  confirmed: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((value) => value === 'true')
    .describe('Required (true) with `all`: Make answers 406 IM004 otherwise'),
});

/** `{ ids }` or `{ all: true, exceptIds }`, as Make's bulk endpoints take. */
export const bulkBody = z
  .strictObject({
    ids: z.array(hex32).min(1, 'must list at least one id').max(10_000, 'at most 10000 ids').optional(),
    all: z.literal(true, { error: 'must be true' }).optional(),
    exceptIds: z.array(hex32).max(10_000, 'at most 10000 ids').optional(),
    reason: ieChangeReasonSchema.optional().describe("imex: why (kept in each IE's change log)"),
  })
  .superRefine((body, ctx) => {
    if (body.ids === undefined && body.all === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ids'], message: 'give ids, or all: true (with exceptIds)' });
    }
    if (body.ids !== undefined && body.all !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['all'], message: 'give ids or all, not both' });
    }
    if (body.exceptIds !== undefined && body.all === undefined) {
      ctx.addIssue({ code: 'custom', path: ['exceptIds'], message: 'only with all: true' });
    }
  })
  .describe('`{ ids }`, or `{ all: true, exceptIds }` for every IE of the scenario but those');
export type BulkBody = z.output<typeof bulkBody>;

const bundlesField = checkedJson(
  bundlesPatchSchema.describe(
    'Bundles in the shape of GET /dlqs/{id}/bundle: `{ "<moduleId>": { value } }`. Only the modules named change ' +
      '(merged per module id); each `value` must be a JSON object (the bundle a module outputs): null, arrays and ' +
      "other values are refused. The failed module's `{ error }` entry may come back as GET shows it and is ignored.",
  ),
);

const reasonField = ieChangeReasonSchema
  .optional()
  .describe("imex: why (free text, kept in the IE's change log, GET /dlqs/{id}/changes)");

/** `PATCH /dlqs/{id}` (and imex's `POST /dlqs/{id}/resolve`): what the next attempt uses. */
export function patchDlqBody(registry: ModuleLookup) {
  return z.strictObject({
    blueprint: blueprintField(registry).optional(),
    failer: z.int({ error: 'must be a module id (a positive integer)' }).positive('must be a module id').optional(),
    bundles: bundlesField.optional(),
    reason: reasonField,
  });
}

/** `resolve` may come without a body: attempt now with what is stored. */
export function resolveDlqBody(registry: ModuleLookup) {
  return patchDlqBody(registry).nullish();
}

const fromField = z
  .int({ error: 'must be a module id (a positive integer)' })
  .positive('must be a module id')
  .describe(
    'imex: the module the retry starts at: the failed one (default), one before it on its path, or the trigger ' +
      "(the start of the scenario, from the trigger's stored bundle). GET /dlqs/{id}/plan shows what runs",
  );
const blueprintChoiceField = z
  .enum(blueprintChoices)
  .describe("imex: the blueprint to run: the IE's (`stored`, default) or its scenario's `current` one");

/** `POST /dlqs/{id}/retry`: no body, as Make's, or imex's `{ reason, from, blueprint }`. */
export const retryDlqBody = z
  .strictObject({ reason: reasonField, from: fromField.optional(), blueprint: blueprintChoiceField.optional() })
  .nullish();

/** `GET /dlqs/{id}/plan`. */
export const dlqPlanQuery = querySchema({
  from: integerIdParam.optional().describe(fromField.description ?? ''),
  blueprint: blueprintChoiceField.default('stored'),
});

export const dlqChangesQuery = z.object(pagingQuery(100, 1000));

const valueOrSummary = z
  .unknown()
  .describe('The value, or `{ summary: true, sha256, bytes }` when it is large or kept by reference');

export const dlqChangeSchema = z
  .object({
    /** Its place in the IE's log: 1, 2, 3 … */
    seq: z.int(),
    kind: z.enum(ieChangeKinds),
    at: z.string(),
    actor: z.union([
      z.object({ type: z.literal('token'), tokenId: z.string(), name: z.string() }),
      z.object({ type: z.literal('temporal'), via: z.enum(['signal', 'update']), name: z.string() }),
    ]),
    reason: z.string().optional(),
    requestId: z.string().optional(),
    changes: z.object({
      bundles: z.record(z.string(), z.object({ before: valueOrSummary, after: valueOrSummary })).optional(),
      failer: z.object({ before: z.int(), after: z.int() }).optional(),
      blueprint: z
        .object({
          before: valueOrSummary,
          after: valueOrSummary,
          modules: z.object({ added: z.array(z.int()), removed: z.array(z.int()), changed: z.array(z.int()) }),
        })
        .optional(),
      status: z.object({ before: z.string(), after: z.string() }).optional(),
      attempts: z.object({ before: z.int(), after: z.int() }).optional(),
    }),
  })
  .meta({ id: 'DlqChange' });
export type DlqChangeView = z.output<typeof dlqChangeSchema>;

const isoOrNull = z.string().nullable();

export const dlqListItemSchema = z
  .object({
    id: z.string(),
    /** imex: the IE's scenario (lists across the organization's scenarios mix them). */
    scenarioId: z.int(),
    /** The error message. */
    reason: z.string(),
    created: z.string(),
    /** Stored bytes of blueprint and bundles. */
    size: z.int(),
    resolved: z.boolean(),
    /** Auto-retry on. */
    retry: z.boolean(),
    attempts: z.int(),
    status: z.enum(ieStatuses),
    errorType: z.string(),
    /** The module the next attempt starts at. */
    failer: z.int(),
    nextRetryAt: isoOrNull,
    /** An attempt is requested and waits for the scenario's attempt slot (status stays `pending`). */
    waitingForSlot: z.boolean(),
  })
  .meta({ id: 'DlqListItem' });
export type DlqListItem = z.output<typeof dlqListItemSchema>;

export const dlqSchema = dlqListItemSchema
  .extend({
    scenarioName: z.string(),
    companyId: z.int(),
    companyName: z.string(),
    deleted: z.boolean(),
    /** The bundle's index in the run that failed. */
    index: z.int(),
    executionId: z.string(),
  })
  .meta({ id: 'Dlq' });
export type DlqView = z.output<typeof dlqSchema>;

export const dlqPagingSchema = z.object({
  offset: z.int(),
  limit: z.int(),
  sortBy: z.enum(sortByValues),
  sortDir: z.enum(['asc', 'desc']),
});

export function toDlqListItem(doc: IncompleteExecutionSummary): DlqListItem {
  return {
    id: doc._id,
    scenarioId: doc.scenarioId,
    reason: doc.error.message,
    created: doc.created.toISOString(),
    size: doc.size,
    resolved: doc.resolved,
    retry: doc.retry,
    attempts: doc.attempts,
    status: doc.status,
    errorType: doc.error.type,
    failer: doc.failer,
    nextRetryAt: doc.nextRetryAt ? doc.nextRetryAt.toISOString() : null,
    waitingForSlot: doc.waitingForSlot === true,
  };
}

export function toDlqView(
  doc: IncompleteExecutionDocument,
  scenarioName: string,
  organization: Organization | null,
): DlqView {
  return {
    ...toDlqListItem(doc),
    scenarioId: doc.scenarioId,
    scenarioName,
    companyId: doc.orgId,
    companyName: organization?.name ?? '',
    deleted: doc.deleted,
    index: doc.bundleIndex,
    executionId: doc.executionId,
  };
}

/** Make's bundle entries: `{ value }` for the modules before the failer, `{ error }` for it. */
export const bundleResponseSchema = z.record(
  z.string(),
  z.object({
    value: z.unknown().optional(),
    error: z.object({ type: z.string(), message: z.string() }).optional(),
  }),
);

export const dlqLogSchema = z
  .object({
    /** The attempt's execution id (32 hex). */
    id: z.string(),
    executionId: z.string(),
    /** Make's codes: 1 success, 2 warning, 3 error. */
    status: z.union([z.literal(1), z.literal(2), z.literal(3)]),
    timestamp: z.string(),
    /** Milliseconds. */
    duration: z.number(),
    operations: z.int(),
    error: z.object({ type: z.string(), message: z.string(), moduleId: z.int().optional() }).optional(),
  })
  .meta({ id: 'DlqLog' });
export type DlqLogView = z.output<typeof dlqLogSchema>;

export const moduleLogSchema = z.object({
  moduleId: z.int(),
  module: z.string(),
  bundleIndex: z.int(),
  startedAt: z.string(),
  durationMs: z.number(),
  status: z.enum(['success', 'error']),
  outputCount: z.int().optional(),
  /** Output bundles; a large one is `{ $imexBlob, bytes }`. */
  output: z.array(z.unknown()).optional(),
  errorType: z.string().optional(),
  message: z.string().optional(),
});

export const dlqLogDetailSchema = dlqLogSchema.extend({ log: z.array(moduleLogSchema) }).meta({ id: 'DlqLogDetail' });

const unixMs = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a UNIX time in ms')
  .transform(Number);

export const dlqLogsQuery = querySchema({
  status: z
    .enum(['1', '2', '3'], { error: 'must be 1 (success), 2 (warning) or 3 (error)' })
    .transform(Number)
    .optional(),
  from: unixMs.optional(),
  to: unixMs.optional(),
});

export function toDlqLog(execution: ExecutionRecord): DlqLogView {
  const log: DlqLogView = {
    id: execution.executionId,
    executionId: execution.executionId,
    status: executionStatusCode(execution.status),
    timestamp: execution.startedAt.toISOString(),
    duration: execution.durationMs,
    operations: execution.operations,
  };
  if (execution.error) log.error = execution.error;
  return log;
}

export function toModuleLog(entry: ModuleLogEntry): z.output<typeof moduleLogSchema> {
  return { ...entry };
}

export const bulkVerdictSchema = z
  .object({ id: z.string(), accepted: z.boolean(), reason: z.string().optional() })
  .meta({ id: 'BulkVerdict' });

export const bulkOperationSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['retry', 'delete']),
    scenarioId: z.int(),
    status: z.enum(['preparing', 'running', 'completed']),
    /** IEs targeted; null until listed. */
    total: z.int().nullable(),
    /** IEs with a verdict so far. */
    done: z.int(),
    succeeded: z.int(),
    failed: z.int(),
    created: z.string(),
    completedAt: z.string().optional(),
  })
  .meta({ id: 'BulkOperation' });
export type BulkOperationView = z.output<typeof bulkOperationSchema>;

export function toBulkOperationView(doc: BulkOperationDocument, progress: BulkProgress): BulkOperationView {
  const view: BulkOperationView = {
    id: doc._id,
    kind: doc.kind,
    scenarioId: doc.scenarioId,
    status: doc.status,
    total: progress.total,
    done: progress.done,
    succeeded: progress.succeeded,
    failed: progress.failed,
    created: doc.created.toISOString(),
  };
  if (doc.completedAt) view.completedAt = doc.completedAt.toISOString();
  return view;
}
