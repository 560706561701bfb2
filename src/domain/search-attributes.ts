/**
 * The imex search attributes (DESIGN.md §4): how runs and incomplete executions are found in the
 * Temporal Web UI and by `temporal workflow list`. They mirror MongoDB; the API never pages by them.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ImexOrgId = defineSearchAttributeKey('ImexOrgId', SearchAttributeType.KEYWORD);
export const ImexScenarioId = defineSearchAttributeKey('ImexScenarioId', SearchAttributeType.KEYWORD);
export const ImexStatus = defineSearchAttributeKey('ImexStatus', SearchAttributeType.KEYWORD);
export const ImexErrorType = defineSearchAttributeKey('ImexErrorType', SearchAttributeType.KEYWORD);
export const ImexFailer = defineSearchAttributeKey('ImexFailer', SearchAttributeType.INT);
export const ImexAttempts = defineSearchAttributeKey('ImexAttempts', SearchAttributeType.INT);
export const ImexNextRetryAt = defineSearchAttributeKey('ImexNextRetryAt', SearchAttributeType.DATETIME);

export const imexSearchAttributeKeys = [
  ImexOrgId,
  ImexScenarioId,
  ImexStatus,
  ImexErrorType,
  ImexFailer,
  ImexAttempts,
  ImexNextRetryAt,
] as const;

/** The names and types as `temporal server start-dev --search-attribute` and operators spell them. */
export const imexSearchAttributeTypes: Record<string, 'Keyword' | 'Int' | 'Datetime'> = {
  ImexOrgId: 'Keyword',
  ImexScenarioId: 'Keyword',
  ImexStatus: 'Keyword',
  ImexErrorType: 'Keyword',
  ImexFailer: 'Int',
  ImexAttempts: 'Int',
  ImexNextRetryAt: 'Datetime',
};
