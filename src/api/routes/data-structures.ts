/**
 * `/data-structures`: the typed fields of data stores' records (Make's "udt"). Scopes `udts:read`
 * and `udts:write`, as Make's. Another organization's structure is "not found".
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOf } from '../auth';
import type { ApiDeps } from '../deps';
import { confirmationRequired, conflict, errorBodySchema, notFound } from '../errors';
import {
  confirmedQuerySchema,
  createDataStructureBody,
  dataStructureIdParams,
  dataStructureSchema,
  listQuerySchema,
  pagingResponseSchema,
  patchDataStructureBody,
  toDataStructureView,
} from '../schemas/data-stores';

const tags = ['data structures'];
const errors = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  406: errorBodySchema,
  409: errorBodySchema,
};
const envelope = z.object({ dataStructure: dataStructureSchema });

export const dataStructureRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { store }) => {
  const structures = store.dataStores;

  app.post(
    '/data-structures',
    {
      config: { scope: 'udts:write' },
      schema: {
        tags,
        summary: 'Create a data structure',
        body: createDataStructureBody,
        response: { 200: envelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { name, spec, strict } = request.body;
      return { dataStructure: toDataStructureView(await structures.createStructure({ orgId, name, spec, strict })) };
    },
  );

  app.get(
    '/data-structures',
    {
      config: { scope: 'udts:read' },
      schema: {
        tags,
        summary: "List the organization's data structures",
        querystring: listQuerySchema,
        response: {
          200: z.object({ dataStructures: z.array(dataStructureSchema), pg: pagingResponseSchema }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const offset = request.query['pg[offset]'];
      const limit = request.query['pg[limit]'];
      const page = (await structures.listStructures(orgId)).slice(offset, offset + limit);
      return { dataStructures: page.map(toDataStructureView), pg: { offset, limit } };
    },
  );

  app.get(
    '/data-structures/:dataStructureId',
    {
      config: { scope: 'udts:read' },
      schema: {
        tags,
        summary: 'Get a data structure',
        params: dataStructureIdParams,
        response: { 200: envelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const structure = await structures.getStructure(orgId, request.params.dataStructureId);
      if (!structure) throw notFound(`data structure ${request.params.dataStructureId}`);
      return { dataStructure: toDataStructureView(structure) };
    },
  );

  app.patch(
    '/data-structures/:dataStructureId',
    {
      config: { scope: 'udts:write' },
      schema: {
        tags,
        summary: 'Change a data structure (records already stored are checked again only when written)',
        params: dataStructureIdParams,
        body: patchDataStructureBody,
        response: { 200: envelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const structure = await structures.updateStructure(orgId, request.params.dataStructureId, request.body);
      if (!structure) throw notFound(`data structure ${request.params.dataStructureId}`);
      return { dataStructure: toDataStructureView(structure) };
    },
  );

  app.delete(
    '/data-structures/:dataStructureId',
    {
      config: { scope: 'udts:write' },
      schema: {
        tags,
        summary: 'Delete a data structure no data store uses (`confirmed=true`)',
        params: dataStructureIdParams,
        querystring: confirmedQuerySchema,
        response: { 200: z.object({ dataStructure: z.int() }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const id = request.params.dataStructureId;
      if (!(await structures.getStructure(orgId, id))) throw notFound(`data structure ${id}`);
      if (request.query.confirmed !== 'true')
        throw confirmationRequired('deleting a data structure needs confirmed=true');
      if (await structures.structureInUse(orgId, id)) {
        throw conflict(`data structure ${id} is used by a data store: change or delete the data store first`);
      }
      await structures.deleteStructure(orgId, id);
      return { dataStructure: id };
    },
  );
};
