/**
 * `/connections`: credentials that modules name by id (Make's keychains; docs/api.md#connections).
 * Scopes `connections:read` and `connections:write`, as Make's. The secret goes in once and never
 * comes out: no answer, log line or error carries it. Another organization's connection is "not found".
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConnectionSecret } from '../../domain';
import type { Connection } from '../../store';
import { authOf } from '../auth';
import type { ApiDeps } from '../deps';
import { errorBodySchema, notFound } from '../errors';
import { integerIdParam } from '../validation';

const tags = ['connections'];
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema };

const nonEmpty = z.string().min(1, 'must not be empty').max(4096);
/** Make's `accountName` names the connection; `accountType` is the keychain type. */
const createConnectionBody = z.discriminatedUnion(
  'accountType',
  [
    z.strictObject({
      accountType: z.literal('basicauth'),
      accountName: nonEmpty.max(120),
      username: z.string().max(4096),
      password: z.string().max(4096),
    }),
    z.strictObject({
      accountType: z.literal('apikeyauth'),
      accountName: nonEmpty.max(120),
      key: nonEmpty,
      placement: z
        .enum(['header', 'qs'])
        .default('header')
        .describe('where the key goes: a header or the query string'),
      name: z
        .string()
        .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a header or parameter name')
        .describe('the header or query-string parameter that carries the key, e.g. X-API-Key'),
    }),
  ],
  { error: 'accountType must be basicauth or apikeyauth' },
);

const connectionSchema = z.object({
  id: z.int(),
  name: z.string(),
  accountName: z.string(),
  accountType: z.string(),
  created: z.string(),
});
const envelope = z.object({ connection: connectionSchema });
const connectionIdParams = z.object({ connectionId: integerIdParam });

function toView(connection: Connection): z.output<typeof connectionSchema> {
  return {
    id: connection.id,
    name: connection.name,
    accountName: connection.name,
    accountType: connection.type,
    created: connection.createdAt.toISOString(),
  };
}

export const connectionRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { store }) => {
  app.post(
    '/connections',
    {
      config: { scope: 'connections:write' },
      schema: {
        tags,
        summary: 'Create a connection (its secret is never shown again)',
        body: createConnectionBody,
        response: { 200: envelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const body = request.body;
      const secret: ConnectionSecret =
        body.accountType === 'basicauth'
          ? { type: 'basicauth', username: body.username, password: body.password }
          : { type: 'apikeyauth', key: body.key, placement: body.placement, name: body.name };
      return { connection: toView(await store.connections.create(orgId, body.accountName, secret)) };
    },
  );

  app.get(
    '/connections',
    {
      config: { scope: 'connections:read' },
      schema: {
        tags,
        summary: "List the organization's connections (no secrets)",
        response: { 200: z.object({ connections: z.array(connectionSchema) }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      return { connections: (await store.connections.list(orgId)).map(toView) };
    },
  );

  app.get(
    '/connections/:connectionId',
    {
      config: { scope: 'connections:read' },
      schema: {
        tags,
        summary: 'Get a connection (no secret)',
        params: connectionIdParams,
        response: { 200: envelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const connection = await store.connections.get(orgId, request.params.connectionId);
      if (!connection) throw notFound(`connection ${request.params.connectionId}`);
      return { connection: toView(connection) };
    },
  );

  app.delete(
    '/connections/:connectionId',
    {
      config: { scope: 'connections:write' },
      schema: {
        tags,
        summary: 'Delete a connection (modules that name it then fail with InvalidConfigurationError)',
        params: connectionIdParams,
        response: { 200: z.object({ connection: z.int() }), ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const id = request.params.connectionId;
      if (!(await store.connections.delete(orgId, id))) throw notFound(`connection ${id}`);
      return { connection: id };
    },
  );
};
