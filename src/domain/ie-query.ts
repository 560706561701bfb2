/**
 * A query over an organization's incomplete executions: what `GET /dlqs` filters by and what a
 * bulk operation by query (`POST /dlqs/operations`) targets. Every field narrows; an absent or
 * empty list does not. The store turns it into one filter (src/store/ie-query-filter.ts).
 */
import type { ErrorCategory } from './errors';
import type { IeStatus } from './statuses';

export interface IeQuery {
  scenarioIds?: number[];
  statuses?: IeStatus[];
  errorTypes?: ErrorCategory[];
  /** The module the IE waits at (its `failer`). */
  failedModuleIds?: number[];
  /** ISO time, inclusive. */
  createdFrom?: string;
  /** ISO time, inclusive. */
  createdTo?: string;
  /** A literal substring of the error message, case-insensitive (one incident's IEs). */
  messageContains?: string;
}

/** Longest `messageContains`: a phrase of an error message, not a document. */
export const IE_QUERY_MESSAGE_MAX = 200;
