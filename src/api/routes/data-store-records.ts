/**
 * `/data-stores/{id}/data`: a data store's records, in Make's shapes. Writes here are committed at
 * once (they are not part of a scenario run); each is checked against the store's data structure
 * (400 naming each field and why) and its size limit (409 when full). A write sent twice leaves
 * one record.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkRecordData, MAX_RECORD_BYTES, recordBytes } from '../../domain';
import type { DataStore } from '../../store';
import { authOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, confirmationRequired, conflict, notFound, validationError } from '../errors';
import {
  confirmedQuerySchema,
  createRecordBody,
  dataStoreIdParams,
  dataStructureFieldView,
  deleteRecordsBody,
  listQuerySchema,
  pagingResponseSchema,
  recordFieldsBody,
  recordKeyParams,
  recordSchema,
} from '../schemas/data-stores';
import { dataStoreErrors } from './data-stores';

const tags = ['data stores'];

export const dataStoreRecordRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { store }) => {
  const dataStores = store.dataStores;

  async function dataStoreOf(orgId: number, id: number): Promise<DataStore> {
    const found = await dataStores.getDataStore(orgId, id);
    if (!found) throw notFound(`data store ${id}`);
    return found;
  }

  /**
   * The data as its structure wants it, within the limits. `bodyPrefix` is where the fields sit in
   * the body (`data` for POST, the body itself for PUT and PATCH), so errors name the sent field.
   */
  async function checked(
    dataStore: DataStore,
    data: Record<string, unknown>,
    bodyPrefix: string,
    options: { partial?: boolean } = {},
  ): Promise<Record<string, unknown>> {
    const structure = await dataStores.structureOf(dataStore);
    const check = checkRecordData(structure, data, options);
    if (!check.ok) {
      throw validationError(
        check.errors.map((e) => ({
          path: `${bodyPrefix}${e.path.slice('data'.length)}`.replace(/^\./, ''),
          in: 'body',
          message: e.message,
        })),
      );
    }
    return check.data;
  }

  async function checkSize(dataStore: DataStore, key: string, data: Record<string, unknown>): Promise<void> {
    const bytes = recordBytes(key, data);
    if (bytes > MAX_RECORD_BYTES) throw new ApiError(413, 'IM_PAYLOAD_TOO_LARGE', 'a record may be up to 15 MB');
    const usage = await dataStores.usage(dataStore.id);
    const existing = (await dataStores.readRecords(dataStore.id, [key])).get(key)?.bytes ?? 0;
    if (usage.sizeBytes - existing + bytes > dataStore.maxSizeBytes) {
      throw conflict(`data store ${dataStore.id} is full: its maximum size is ${dataStore.maxSizeBytes} bytes`, {
        sizeBytes: usage.sizeBytes,
        maxSizeBytes: dataStore.maxSizeBytes,
      });
    }
  }

  app.get(
    '/data-stores/:dataStoreId/data',
    {
      config: { scope: 'datastores:read' },
      schema: {
        tags,
        summary: "List a data store's records, in key order",
        params: dataStoreIdParams,
        querystring: listQuerySchema,
        response: {
          200: z.object({
            records: z.array(recordSchema),
            spec: z.array(dataStructureFieldView),
            pg: pagingResponseSchema,
          }),
          ...dataStoreErrors,
        },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const dataStore = await dataStoreOf(orgId, request.params.dataStoreId);
      const offset = request.query['pg[offset]'];
      const limit = request.query['pg[limit]'];
      const [records, structure] = await Promise.all([
        dataStores.listRecords(dataStore.id, { offset, limit }),
        dataStores.structureOf(dataStore),
      ]);
      return { records, spec: structure?.spec ?? [], pg: { offset, limit } };
    },
  );

  app.post(
    '/data-stores/:dataStoreId/data',
    {
      config: { scope: 'datastores:write' },
      schema: {
        tags,
        summary: 'Add a record (a key not given is generated; an existing key answers 409)',
        params: dataStoreIdParams,
        body: createRecordBody,
        response: { 200: recordSchema, ...dataStoreErrors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const dataStore = await dataStoreOf(orgId, request.params.dataStoreId);
      const key = request.body.key ?? randomUUID().replaceAll('-', '');
      const data = await checked(dataStore, request.body.data, 'data');
      const existing = await dataStores.getRecord(dataStore.id, key);
      if (existing) {
        // The same record sent again is the same request: answer it, write nothing.
        if (JSON.stringify(existing.data) === JSON.stringify(data)) return existing;
        throw conflict(`data store ${dataStore.id} already has a record with key "${key}": PUT replaces it`);
      }
      await checkSize(dataStore, key, data);
      return dataStores.putRecord(dataStore.id, key, data);
    },
  );

  app.put(
    '/data-stores/:dataStoreId/data/:key',
    {
      config: { scope: 'datastores:write' },
      schema: {
        tags,
        summary: 'Replace a record (or add it): the body is its fields',
        params: recordKeyParams,
        body: recordFieldsBody,
        response: { 200: recordSchema, ...dataStoreErrors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const dataStore = await dataStoreOf(orgId, request.params.dataStoreId);
      const key = request.params.key;
      const data = await checked(dataStore, request.body, '');
      await checkSize(dataStore, key, data);
      return dataStores.putRecord(dataStore.id, key, data);
    },
  );

  app.patch(
    '/data-stores/:dataStoreId/data/:key',
    {
      config: { scope: 'datastores:write' },
      schema: {
        tags,
        summary: 'Update some fields of a record',
        params: recordKeyParams,
        body: recordFieldsBody,
        response: { 200: recordSchema, ...dataStoreErrors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const dataStore = await dataStoreOf(orgId, request.params.dataStoreId);
      const key = request.params.key;
      const existing = await dataStores.getRecord(dataStore.id, key);
      if (!existing) throw notFound(`record "${key}" of data store ${dataStore.id}`);
      const changes = await checked(dataStore, request.body, '', { partial: true });
      const data = { ...existing.data, ...changes };
      await checkSize(dataStore, key, data);
      return dataStores.putRecord(dataStore.id, key, data);
    },
  );

  app.delete(
    '/data-stores/:dataStoreId/data',
    {
      config: { scope: 'datastores:write' },
      schema: {
        tags,
        summary: 'Delete records: `{ keys }`, or `{ all: true, exceptKeys? }` (`confirmed=true`)',
        params: dataStoreIdParams,
        querystring: confirmedQuerySchema,
        body: deleteRecordsBody,
        response: { 200: z.object({ deleted: z.int() }), ...dataStoreErrors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const dataStore = await dataStoreOf(orgId, request.params.dataStoreId);
      if (request.query.confirmed !== 'true') throw confirmationRequired('deleting records needs confirmed=true');
      const body = request.body;
      const deleted =
        'keys' in body
          ? await dataStores.deleteRecords(dataStore.id, body.keys)
          : await dataStores.deleteAllRecords(dataStore.id, body.exceptKeys);
      return { deleted };
    },
  );
};
