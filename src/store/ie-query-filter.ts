/**
 * The one MongoDB filter of an IE query (src/domain/ie-query.ts), for `GET /dlqs` and for bulk
 * operations by query, so a list and a bulk operation over the same query see the same IEs.
 *
 * A one-value list becomes an equality, not `$in`: the patched FerretDB pushes only equalities on
 * its declared fields down to SQL (src/stack/ferretdb/list_index.go), so a single scenario or
 * status stays an index range there. The rest (ranges, `$in`, the message) are evaluated after.
 */
import type { Filter } from 'mongodb';
import type { IeQuery } from '../domain';
import type { IncompleteExecutionDocument } from './incomplete-executions';

/** Where a page by (created, _id) descending left off. */
export interface IeQueryCursor {
  created: Date;
  id: string;
}

export function ieQueryFilter(orgId: number, query: IeQuery): Filter<IncompleteExecutionDocument> {
  const filter: Filter<IncompleteExecutionDocument> = { orgId, deleted: false };
  const and: Filter<IncompleteExecutionDocument>[] = [];
  const scenarioIds = distinct(query.scenarioIds);
  if (scenarioIds) filter.scenarioId = scenarioIds.length === 1 ? scenarioIds[0] : { $in: scenarioIds };
  const statuses = distinct(query.statuses);
  if (statuses) filter.status = statuses.length === 1 ? statuses[0] : { $in: statuses };
  const errorTypes = distinct(query.errorTypes);
  if (errorTypes) filter['error.type'] = errorTypes.length === 1 ? errorTypes[0] : { $in: errorTypes };
  const failers = distinct(query.failedModuleIds);
  if (failers) filter.failer = failers.length === 1 ? failers[0] : { $in: failers };
  if (query.createdFrom !== undefined) and.push({ created: { $gte: new Date(query.createdFrom) } });
  if (query.createdTo !== undefined) and.push({ created: { $lte: new Date(query.createdTo) } });
  if (query.messageContains !== undefined && query.messageContains !== '') {
    // A literal substring: every regex character is escaped, the case ignored.
    and.push({ 'error.message': { $regex: escapeRegExp(query.messageContains), $options: 'i' } });
  }
  if (and.length > 0) filter.$and = and;
  return filter;
}

/** The IEs after `cursor` in (created, _id) descending order, created no later than `upTo`. */
export function ieQueryPageFilter(
  orgId: number,
  query: IeQuery,
  upTo: Date,
  cursor?: IeQueryCursor,
): Filter<IncompleteExecutionDocument> {
  const filter = ieQueryFilter(orgId, query);
  const and = [...(filter.$and ?? []), { created: { $lte: upTo } }];
  if (cursor)
    and.push({ $or: [{ created: { $lt: cursor.created } }, { created: cursor.created, _id: { $lt: cursor.id } }] });
  return { ...filter, $and: and };
}

function distinct<T>(values: readonly T[] | undefined): T[] | undefined {
  if (!values || values.length === 0) return undefined;
  return [...new Set(values)];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
