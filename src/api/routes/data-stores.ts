/**
 * `/data-stores`: Make's data stores of the token's organization (scopes `datastores:read`,
 * `datastores:write`). Their records are data-store-records.ts. Another organization's store is
 * "not found".
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_DATA_STORES_PER_ORG, type DataStore } from '../../store';
import { authOf } from '../auth';
import type { ApiDeps } from '../deps';
import { confirmationRequired, conflict, errorBodySchema, notFound, validationError } from '../errors';
import {
  confirmedQuerySchema,
  createDataStoreBody,
  dataStoreIdParams,
  dataStoreSchema,
  listQuerySchema,
  maxSizeBytesOf,
  pagingResponseSchema,
  patchDataStoreBody,
  toDataStoreView,
} from '../schemas/data-stores';

const tags = ['data stores'];
export const dataStoreErrors = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  406: errorBodySchema,
  409: errorBodySchema,
};
const envelope = z.object({ dataStore: dataStoreSchema });

export const dataStoreRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { store }) => {
  const dataStores = store.dataStores;

  const view = async (dataStore: DataStore) => toDataStoreView(dataStore, await dataStores.usage(dataStore.id));

  /** A structure the store may use: one of the organization's (400 naming the field otherwise). */
  async function checkStructure(orgId: number, datastructureId: number | null | undefined): Promise<void> {
    if (datastructureId === undefined || datastructureId === null) return;
    if (!(await dataStores.getStructure(orgId, datastructureId))) {
      throw validationError([
        { path: 'datastructureId', in: 'body', message: `data structure ${datastructureId} not found` },
      ]);
    }
  }

  app.post(
    '/data-stores',
    {
      config: { scope: 'datastores:write' },
      schema: {
        tags,
        summary: 'Create a data store',
        body: createDataStoreBody,
        response: { 200: envelope, ...dataStoreErrors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const body = request.body;
      await checkStructure(orgId, body.datastructureId);
      if ((await dataStores.countDataStores(orgId)) >= MAX_DATA_STORES_PER_ORG) {
        throw conflict(`an organization has at most ${MAX_DATA_STORES_PER_ORG} data stores`);
      }
      const created = await dataStores.createDataStore({
        orgId,
        name: body.name,
        datastructureId: body.datastructureId ?? null,
        maxSizeBytes: maxSizeBytesOf(body.maxSizeMB),
      });
      return { dataStore: await view(created) };
    },
  );

  app.get(
    '/data-stores',
    {
      config: { scope: 'datastores:read' },
      schema: {
        tags,
        summary: "List the organization's data stores",
        querystring: listQuerySchema,
        response: {
          200: z.object({ dataStores: z.array(dataStoreSchema), pg: pagingResponseSchema }),
          ...dataStoreErrors,
        },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const offset = request.query['pg[offset]'];
      const limit = request.query['pg[limit]'];
      const page = (await dataStores.listDataStores(orgId)).slice(offset, offset + limit);
      return { dataStores: await Promise.all(page.map(view)), pg: { offset, limit } };
    },
  );

  app.get(
    '/data-stores/:dataStoreId',
    {
      config: { scope: 'datastores:read' },
      schema: {
        tags,
        summary: 'Get a data store (records, size)',
        params: dataStoreIdParams,
        response: { 200: envelope, ...dataStoreErrors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const found = await dataStores.getDataStore(orgId, request.params.dataStoreId);
      if (!found) throw notFound(`data store ${request.params.dataStoreId}`);
      return { dataStore: await view(found) };
    },
  );

  app.patch(
    '/data-stores/:dataStoreId',
    {
      config: { scope: 'datastores:write' },
      schema: {
        tags,
        summary: 'Rename a data store, change its maximum size or its data structure',
        params: dataStoreIdParams,
        body: patchDataStoreBody,
        response: { 200: envelope, ...dataStoreErrors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { name, maxSizeMB, datastructureId } = request.body;
      await checkStructure(orgId, datastructureId);
      const updated = await dataStores.updateDataStore(orgId, request.params.dataStoreId, {
        ...(name === undefined ? {} : { name }),
        ...(maxSizeMB === undefined ? {} : { maxSizeBytes: maxSizeBytesOf(maxSizeMB) }),
        ...(datastructureId === undefined ? {} : { datastructureId }),
      });
      if (!updated) throw notFound(`data store ${request.params.dataStoreId}`);
      return { dataStore: await view(updated) };
    },
  );

  app.delete(
    '/data-stores/:dataStoreId',
    {
      config: { scope: 'datastores:write' },
      schema: {
        tags,
        summary: 'Delete a data store and its records (`confirmed=true`)',
        params: dataStoreIdParams,
        querystring: confirmedQuerySchema,
        response: { 200: z.object({ dataStore: z.int() }), ...dataStoreErrors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const id = request.params.dataStoreId;
      if (!(await dataStores.getDataStore(orgId, id))) throw notFound(`data store ${id}`);
      if (request.query.confirmed !== 'true') throw confirmationRequired('deleting a data store needs confirmed=true');
      await dataStores.deleteDataStore(orgId, id);
      return { dataStore: id };
    },
  );
};
