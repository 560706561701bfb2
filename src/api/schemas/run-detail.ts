/**
 * A run's detail (`GET /scenarios/{id}/logs/{executionId}`), Make's HISTORY entry: the run, each
 * module operation, and the incomplete executions it parked (or the bundles it discarded, with
 * the reason), so a person goes from a failed run to its IEs and resolves from there.
 */
import { z } from 'zod';
import type { ExecutionRecord, IncompleteExecutionDocument } from '../../store';
import { integerIdParam } from '../validation';
import { dlqListItemSchema, hex32, moduleLogSchema, toDlqListItem, toModuleLog } from './dlqs';
import { scenarioLogSchema, toScenarioLog } from './scenarios';

export const runDetailParams = z.object({ scenarioId: integerIdParam, executionId: hex32 });

/** IEs listed in a run's detail; the rest are paged with `GET /dlqs?executionId=`. */
export const RUN_DETAIL_DLQS_MAX = 100;

export const runDetailSchema = scenarioLogSchema
  .extend({
    /** The run's module operations, in the order they ran. */
    log: z.array(moduleLogSchema),
    /** What the run noted: parked bundles, filters that did not pass, data loss, … */
    notes: z.array(z.string()),
    /** The IEs the run parked (not deleted), oldest first, at most 100. */
    dlqs: z.array(dlqListItemSchema),
    /** How many it parked in all (`GET /dlqs?executionId=` lists them). */
    dlqCount: z.int(),
  })
  .meta({ id: 'ScenarioLogDetail' });
export type RunDetailView = z.output<typeof runDetailSchema>;

export function toRunDetail(
  execution: ExecutionRecord,
  dlqs: IncompleteExecutionDocument[],
  dlqCount: number,
): RunDetailView {
  return {
    ...toScenarioLog(execution),
    log: execution.log.map(toModuleLog),
    notes: execution.notes ?? [],
    dlqs: dlqs.map(toDlqListItem),
    dlqCount,
  };
}
