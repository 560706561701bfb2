/**
 * Make's data-store modules on one record (make-iml.md §6.8): `datastore:AddRecord`,
 * `GetRecord`, `UpdateRecord`, `DeleteRecord`, `ExistRecord`. Writes are staged in the run's
 * transaction and committed by the run (autoCommit, Commit, Rollback: docs/data-stores.md);
 * reads see the run's own staged writes.
 */
import { z } from 'zod';
import { ModuleError } from '../domain';
import { defineModule } from './contract';
import {
  checkedRecord,
  checkSize,
  dataStoreParameters,
  generatedKey,
  openDataStore,
  recordKey,
  requiredKey,
  wrapped,
} from './datastore-common';

const recordData = z.record(z.string(), z.unknown());

/** "Add/replace a record": a blank key is generated; an existing key is an error unless `overwrite`. */
export const datastoreAddRecord = defineModule({
  type: 'datastore:AddRecord',
  title: 'Data store: add/replace a record',
  parametersSchema: dataStoreParameters,
  mapperSchema: z.looseObject({
    key: recordKey.optional(),
    overwrite: z.boolean().default(false),
    data: recordData.default({}),
  }),
  async run(context) {
    const { access, store } = await openDataStore(context);
    const { mapper } = context;
    const key =
      mapper.key === undefined || mapper.key.trim() === '' ? generatedKey(context.idempotencyKey) : mapper.key;
    if (!mapper.overwrite && (await store.get(key)) !== undefined) {
      throw new ModuleError(
        'DuplicateDataError',
        `a record with key "${key}" already exists in data store ${store.id}; turn on "Overwrite an existing record" to replace it`,
      );
    }
    const data = checkedRecord(store, mapper.data);
    await checkSize(store, key, data);
    await access.stage([{ store: store.id, kind: 'put', key, data }]);
    return [wrapped(key, data)];
  },
});

/**
 * "Get a record": the record's fields (`returnWrapped`: `{ key, data }`). A missing key outputs
 * an empty bundle (Make's behaviour here is not documented; an empty result lets the route go on
 * with empty values, which a filter can test).
 */
export const datastoreGetRecord = defineModule({
  type: 'datastore:GetRecord',
  title: 'Data store: get a record',
  parametersSchema: dataStoreParameters,
  mapperSchema: z.looseObject({ key: recordKey, returnWrapped: z.boolean().default(false) }),
  async run(context) {
    const { store } = await openDataStore(context);
    const key = requiredKey(context.mapper.key);
    const data = await store.get(key);
    if (context.mapper.returnWrapped) return [wrapped(key, data ?? null)];
    return [data ? { ...data } : {}];
  },
});

/**
 * "Update a record": the fields given replace the record's; arrays are appended to unless
 * `overwriteArrays`. A missing record is an error unless `upsert` ("Insert missing record").
 */
export const datastoreUpdateRecord = defineModule({
  type: 'datastore:UpdateRecord',
  title: 'Data store: update a record',
  parametersSchema: dataStoreParameters,
  mapperSchema: z.looseObject({
    key: recordKey,
    upsert: z.boolean().default(false),
    overwriteArrays: z.boolean().default(false),
    data: recordData.default({}),
  }),
  async run(context) {
    const { access, store } = await openDataStore(context);
    const { mapper } = context;
    const key = requiredKey(mapper.key);
    const current = await store.get(key);
    if (current === undefined && !mapper.upsert) {
      throw new ModuleError(
        'DataError',
        `no record with key "${key}" in data store ${store.id}; turn on "Insert missing record" to create it`,
      );
    }
    let data: Record<string, unknown>;
    if (current === undefined) {
      data = checkedRecord(store, mapper.data);
    } else {
      const changes = checkedRecord(store, mapper.data, { partial: true });
      data = { ...current };
      for (const [field, value] of Object.entries(changes)) {
        const before = current[field];
        const merged =
          !mapper.overwriteArrays && Array.isArray(before) && Array.isArray(value) ? [...before, ...value] : value;
        Object.defineProperty(data, field, { value: merged, enumerable: true, writable: true, configurable: true });
      }
    }
    await checkSize(store, key, data);
    await access.stage([{ store: store.id, kind: 'put', key, data }]);
    return [wrapped(key, data)];
  },
});

/** "Delete a record": deleting a key that is not there is not an error. */
export const datastoreDeleteRecord = defineModule({
  type: 'datastore:DeleteRecord',
  title: 'Data store: delete a record',
  parametersSchema: dataStoreParameters,
  mapperSchema: z.looseObject({ key: recordKey }),
  async run(context) {
    const { access, store } = await openDataStore(context);
    const key = requiredKey(context.mapper.key);
    await access.stage([{ store: store.id, kind: 'delete', key }]);
    return [{ key }];
  },
});

/** "Check the existence of a record": `{ exist: true | false }`. */
export const datastoreExistRecord = defineModule({
  type: 'datastore:ExistRecord',
  title: 'Data store: check the existence of a record',
  parametersSchema: dataStoreParameters,
  mapperSchema: z.looseObject({ key: recordKey }),
  async run(context) {
    const { store } = await openDataStore(context);
    const key = requiredKey(context.mapper.key);
    return [{ exist: (await store.get(key)) !== undefined }];
  },
});
