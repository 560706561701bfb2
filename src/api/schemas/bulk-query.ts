/** Bulk operations by query on the wire (`/dlqs/operations`): the request, the operation, its ledger. */
import { z } from 'zod';
import { bulkQueryStates, bulkQueryVerdicts } from '../../domain';
import type { BulkQueryItemDocument, BulkQueryOperationView as StoredView } from '../../store';
import { ieChangeReasonSchema } from '../../domain';
import { ieQuerySchema } from './ie-query';
import { dlqListItemSchema, hex32 } from './dlqs';

export const bulkQueryBody = z.strictObject({
  action: z.enum(['retry', 'delete'], { error: 'must be retry or delete' }),
  query: ieQuerySchema,
  dryRun: z.boolean().optional().describe('Count the IEs it matches and show the first 10; change nothing'),
  reason: ieChangeReasonSchema.optional().describe("Why (kept in each IE's change log)"),
});

export const bulkQueryOperationSchema = z
  .object({
    id: z.string(),
    action: z.enum(['retry', 'delete']),
    query: ieQuerySchema,
    state: z.enum(bulkQueryStates),
    /** IEs the query matched at the start; once finished, the IEs that got a verdict. */
    matched: z.int(),
    applied: z.int(),
    skipped: z.int(),
    failed: z.int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().optional(),
  })
  .meta({ id: 'BulkQueryOperation' });
export type BulkQueryOperationApiView = z.output<typeof bulkQueryOperationSchema>;

export function toBulkQueryOperationView(doc: StoredView): BulkQueryOperationApiView {
  return {
    id: doc._id,
    action: doc.action,
    query: doc.query,
    state: doc.state,
    matched: doc.matched,
    applied: doc.applied,
    skipped: doc.skipped,
    failed: doc.failed,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    ...(doc.finishedAt ? { finishedAt: doc.finishedAt.toISOString() } : {}),
  };
}

export const dryRunSchema = z.object({ matched: z.int(), sample: z.array(dlqListItemSchema) });

export const bulkQueryListQuery = z.strictObject({
  state: z.enum(bulkQueryStates, { error: `must be one of ${bulkQueryStates.join(', ')}` }).optional(),
});

export const bulkQueryItemsQuery = z.strictObject({
  verdict: z.enum(bulkQueryVerdicts, { error: `must be one of ${bulkQueryVerdicts.join(', ')}` }).optional(),
  cursor: hex32.optional().describe('`next` of the previous page'),
  limit: z
    .string()
    .regex(/^[1-9][0-9]{0,3}$/, 'must be an integer from 1 to 1000')
    .transform(Number)
    .pipe(z.number().max(1000, 'must be an integer from 1 to 1000'))
    .default(100),
});

export const bulkQueryItemSchema = z
  .object({
    dlqId: z.string(),
    scenarioId: z.int(),
    verdict: z.enum(bulkQueryVerdicts),
    reason: z.string().optional(),
    at: z.string(),
  })
  .meta({ id: 'BulkQueryItem' });

export function toBulkQueryItem(doc: BulkQueryItemDocument): z.output<typeof bulkQueryItemSchema> {
  return {
    dlqId: doc.ieId,
    scenarioId: doc.scenarioId,
    verdict: doc.verdict === 'pending' ? 'failed' : doc.verdict,
    ...(doc.reason === undefined ? {} : { reason: doc.reason }),
    at: doc.at.toISOString(),
  };
}
