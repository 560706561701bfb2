/**
 * Data stores and data structures on the wire, in Make's shapes (its API's `/data-stores`,
 * `/data-stores/{id}/data` and `/data-structures`; `teamId` is the token's organization: imex has
 * one team per organization).
 */
import { z } from 'zod';
import { dataStructureSpecSchema, type DataStructureField } from '../../domain';
import { MB, type DataStore, type DataStoreUsage, type DataStructure } from '../../store';
import { integerIdParam, pagingQuery, querySchema } from '../validation';

export const dataStoreIdParams = z.object({ dataStoreId: integerIdParam });
export const dataStructureIdParams = z.object({ dataStructureId: integerIdParam });
export const recordKeyParams = z.object({
  dataStoreId: integerIdParam,
  key: z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters'),
});

export const listQuerySchema = querySchema(pagingQuery());
/** Destructive requests need `confirmed=true`, as Make's (406 IM004 otherwise). */
export const confirmedQuerySchema = querySchema({ confirmed: z.enum(['true', 'false']).optional() });
export const pagingResponseSchema = z.object({ offset: z.int(), limit: z.int() });

const nameField = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const teamIdField = z.int().positive().optional().describe("Make's team: imex has one per organization (ignored)");
const maxSizeField = z.int().min(1, 'a data store holds at least 1 MB').max(1000, 'at most 1000 MB');

export const createDataStructureBody = z.strictObject({
  name: nameField,
  teamId: teamIdField,
  spec: dataStructureSpecSchema.default([]),
  strict: z.boolean().default(false),
});

export const patchDataStructureBody = z.strictObject({
  name: nameField.optional(),
  spec: dataStructureSpecSchema.optional(),
  strict: z.boolean().optional(),
});

export const createDataStoreBody = z.strictObject({
  name: nameField,
  teamId: teamIdField,
  datastructureId: z.int().positive().nullable().optional(),
  maxSizeMB: maxSizeField,
});

export const patchDataStoreBody = z.strictObject({
  name: nameField.optional(),
  datastructureId: z.int().positive().nullable().optional(),
  maxSizeMB: maxSizeField.optional(),
});

const recordData = z.record(z.string(), z.unknown());

export const createRecordBody = z.strictObject({
  key: z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters').optional(),
  data: recordData,
});

export const recordFieldsBody = recordData.describe("The record's fields");

export const deleteRecordsBody = z.union(
  [
    z.strictObject({ keys: z.array(z.string()).min(1, 'name at least one key').max(10_000) }),
    z.strictObject({ all: z.literal(true), exceptKeys: z.array(z.string()).max(10_000).default([]) }),
  ],
  { error: 'send { keys: [...] } or { all: true, exceptKeys?: [...] }' },
);

export const dataStructureFieldView: z.ZodType<DataStructureField> = z.looseObject({
  name: z.string(),
  type: z.string(),
}) as unknown as z.ZodType<DataStructureField>;

export const dataStructureSchema = z
  .object({
    id: z.int(),
    name: z.string(),
    teamId: z.int(),
    spec: z.array(dataStructureFieldView),
    strict: z.boolean(),
  })
  .meta({ id: 'DataStructure' });

export const dataStoreSchema = z
  .object({
    id: z.int(),
    name: z.string(),
    teamId: z.int(),
    datastructureId: z.int().nullable(),
    records: z.int(),
    size: z.string().describe('bytes, as text (Make)'),
    maxSize: z.string().describe('bytes, as text (Make)'),
  })
  .meta({ id: 'DataStore' });

export const recordSchema = z.object({ key: z.string(), data: recordData }).meta({ id: 'DataStoreRecord' });

export function toDataStructureView(structure: DataStructure): z.output<typeof dataStructureSchema> {
  return {
    id: structure.id,
    name: structure.name,
    teamId: structure.orgId,
    spec: structure.spec,
    strict: structure.strict,
  };
}

export function toDataStoreView(store: DataStore, usage: DataStoreUsage): z.output<typeof dataStoreSchema> {
  return {
    id: store.id,
    name: store.name,
    teamId: store.orgId,
    datastructureId: store.datastructureId,
    records: usage.records,
    size: String(usage.sizeBytes),
    maxSize: String(store.maxSizeBytes),
  };
}

export const maxSizeBytesOf = (maxSizeMB: number) => maxSizeMB * MB;
