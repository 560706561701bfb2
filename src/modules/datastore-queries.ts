/**
 * Make's data-store modules over a whole store (make-iml.md §6.8): `datastore:SearchRecord`
 * (filter, sort, limit), `CountRecords`, `DeleteAllRecords`. Records are opaque to the store
 * layer, so a search reads the store's records and filters them here, with Make's filter
 * operators (domain/filter.ts): a store is bounded by its size limit.
 */
import { z } from 'zod';
import { compare } from '../domain';
import { defineModule } from './contract';
import type { DataStoreRecordView } from './data-store-access';
import { dataStoreParameters, openDataStore, wrapped } from './datastore-common';

/** Most records one search outputs, whatever its limit says. */
export const SEARCH_MAX_RESULTS = 10_000;

const condition = z.looseObject({
  /** The field compared: a field name (`a.b` for a collection's field), or `key` for the record key. */
  a: z.union([z.string(), z.number().transform(String)]),
  o: z.string().min(1),
  b: z.unknown().optional(),
});

const sortEntry = z
  .looseObject({
    key: z.string().optional(),
    field: z.string().optional(),
    order: z.enum(['asc', 'desc']).optional(),
    dir: z.enum(['asc', 'desc']).optional(),
  })
  .transform((s) => ({ field: s.key ?? s.field ?? 'key', descending: (s.order ?? s.dir) === 'desc' }));

/**
 * "Search records": every record that passes the filter (Make's OR of AND groups; none: all), in
 * `sort` order (else key order), at most `limit` (a parameter, as in exports), each as
 * `{ key, data }` with Make's `__IMTINDEX__` / `__IMTLENGTH__`. No match outputs nothing (the route
 * stops there) unless `continueWhenNoRes`, which outputs one empty bundle.
 */
export const datastoreSearchRecord = defineModule({
  type: 'datastore:SearchRecord',
  title: 'Data store: search records',
  parametersSchema: dataStoreParameters.extend({
    limit: z.int().positive().nullable().optional(),
    continueWhenNoRes: z.boolean().default(false),
  }),
  mapperSchema: z.looseObject({
    filter: z.array(z.array(condition)).nullable().default([]),
    sort: z.array(sortEntry).nullable().default([]),
    /** Some exports keep the limit in the mapper. */
    limit: z
      .union([z.int().positive(), z.string().regex(/^\d+$/).transform(Number)])
      .nullable()
      .optional(),
  }),
  async run(context) {
    const { store } = await openDataStore(context);
    const { mapper, parameters } = context;
    const groups = mapper.filter ?? [];
    const records = (await store.all()).filter(
      (record) =>
        groups.length === 0 || groups.some((group) => group.every((c) => compare(c.o, fieldOf(record, c.a), c.b))),
    );
    const sort = mapper.sort ?? [];
    if (sort.length) records.sort((x, y) => compareRecords(x, y, sort));
    const limit = Math.min(mapper.limit ?? parameters.limit ?? SEARCH_MAX_RESULTS, SEARCH_MAX_RESULTS);
    const found = records.slice(0, limit);
    if (found.length === 0) return parameters.continueWhenNoRes ? [{}] : [];
    return found.map((record, i) => ({
      ...wrapped(record.key, record.data),
      __IMTINDEX__: i + 1,
      __IMTLENGTH__: found.length,
    }));
  },
});

/** "Count records": `{ count }`, the records as the run sees them. */
export const datastoreCountRecords = defineModule({
  type: 'datastore:CountRecords',
  title: 'Data store: count records',
  parametersSchema: dataStoreParameters,
  mapperSchema: z.looseObject({}),
  async run(context) {
    const { store } = await openDataStore(context);
    return [{ count: (await store.all()).length }];
  },
});

/** "Delete all records": staged as one clear of the store; outputs one empty bundle. */
export const datastoreDeleteAllRecords = defineModule({
  type: 'datastore:DeleteAllRecords',
  title: 'Data store: delete all records',
  parametersSchema: dataStoreParameters,
  mapperSchema: z.looseObject({}),
  async run(context) {
    const { access, store } = await openDataStore(context);
    await access.stage([{ store: store.id, kind: 'clear' }]);
    return [{}];
  },
});

/** A record's field by name (`a.b` into collections); `key` is the record key unless the record has a `key` field. */
function fieldOf(record: DataStoreRecordView, path: string): unknown {
  if (path === 'key' && !Object.prototype.hasOwnProperty.call(record.data, 'key')) return record.key;
  let value: unknown = record.data;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, part)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function compareRecords(
  x: DataStoreRecordView,
  y: DataStoreRecordView,
  sort: readonly { field: string; descending: boolean }[],
): number {
  for (const { field, descending } of sort) {
    const order = compareValues(fieldOf(x, field), fieldOf(y, field));
    if (order !== 0) return descending ? -order : order;
  }
  return 0;
}

/** Numbers as numbers, everything else as text; missing values sort last. */
function compareValues(a: unknown, b: unknown): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const ta = typeof a === 'object' ? JSON.stringify(a) : String(a as string | number | boolean);
  const tb = typeof b === 'object' ? JSON.stringify(b) : String(b as string | number | boolean);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}
