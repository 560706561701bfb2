/**
 * The IE query on the wire (src/domain/ie-query.ts): as a JSON body (`POST /dlqs/operations`) and
 * as `GET /dlqs` query-string filters, which repeat a key for several values
 * (`status=pending&status=unresolved`). Both end as the same `IeQuery`.
 */
import { z } from 'zod';
import { errorCategories, IE_QUERY_MESSAGE_MAX, ieStatuses, type IeQuery } from '../../domain';
import { integerIdParam } from '../validation';

const statusSchema = z.enum(ieStatuses, { error: `must be one of ${ieStatuses.join(', ')}` });
const errorTypeSchema = z.enum(errorCategories, { error: 'must be an error category such as ConnectionError' });
const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-01-31T12:00:00Z' });
const messageSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(IE_QUERY_MESSAGE_MAX, `at most ${IE_QUERY_MESSAGE_MAX} characters`);
const positiveInt = z.int().min(1, 'must be a positive integer');

export const ieQuerySchema = z
  .strictObject({
    scenarioIds: z.array(positiveInt).max(1000, 'at most 1000 scenarios').optional(),
    statuses: z.array(statusSchema).optional(),
    errorTypes: z.array(errorTypeSchema).optional(),
    failedModuleIds: z.array(positiveInt).max(1000, 'at most 1000 modules').optional(),
    createdFrom: isoTime.optional(),
    createdTo: isoTime.optional(),
    messageContains: messageSchema.optional().describe('A literal substring of the error message, case-insensitive'),
  })
  .superRefine((query, ctx) => {
    if (query.createdFrom && query.createdTo && Date.parse(query.createdFrom) > Date.parse(query.createdTo)) {
      ctx.addIssue({ code: 'custom', path: ['createdTo'], message: 'must not be before createdFrom' });
    }
  })
  .meta({ id: 'IeQuery' }) satisfies z.ZodType<IeQuery>;

/** A query-string key that may be repeated: one value or several, always a list after parsing. */
function repeatable<T extends z.ZodType>(item: T) {
  return z.union([item.transform((value) => [value] as z.output<T>[]), z.array(item).max(1000, 'at most 1000 values')]);
}

/** `GET /dlqs`'s filters: the IE query in query-string form. */
export const ieQueryStringFields = {
  status: repeatable(statusSchema).optional().describe('Repeatable'),
  errorType: repeatable(errorTypeSchema).optional().describe('Repeatable'),
  failedModuleId: repeatable(integerIdParam).optional().describe('The module the IE waits at; repeatable'),
  createdFrom: isoTime.optional().describe('Created at or after (ISO time)'),
  createdTo: isoTime.optional().describe('Created at or before (ISO time)'),
  q: messageSchema.optional().describe('A literal substring of the error message, case-insensitive'),
};

/** The scenario ids of `GET /dlqs` (`scenarioId`, repeatable). */
export const repeatableScenarioId = repeatable(integerIdParam);

/** The query-string filters as an `IeQuery`. */
export function ieQueryOfQueryString(query: {
  scenarioId?: number[] | undefined;
  status?: IeQuery['statuses'] | undefined;
  errorType?: IeQuery['errorTypes'] | undefined;
  failedModuleId?: number[] | undefined;
  createdFrom?: string | undefined;
  createdTo?: string | undefined;
  q?: string | undefined;
}): IeQuery {
  return {
    ...(query.scenarioId ? { scenarioIds: query.scenarioId } : {}),
    ...(query.status ? { statuses: query.status } : {}),
    ...(query.errorType ? { errorTypes: query.errorType } : {}),
    ...(query.failedModuleId ? { failedModuleIds: query.failedModuleId } : {}),
    ...(query.createdFrom ? { createdFrom: query.createdFrom } : {}),
    ...(query.createdTo ? { createdTo: query.createdTo } : {}),
    ...(query.q ? { messageContains: query.q } : {}),
  };
}
