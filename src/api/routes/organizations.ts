/**
 * `/organizations/{id}`: the token's own organization, its incomplete-execution storage limit and
 * what it uses now (Make §5), and changing the limit. Another organization is "not found". The
 * usage is the quota ledger's (src/store/ie-quota.ts): every byte the organization's open IEs keep.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Organization, Store } from '../../store';
import { authOf } from '../auth';
import type { ApiDeps } from '../deps';
import { errorBodySchema, forbidden, notFound } from '../errors';
import { integerIdParam } from '../validation';

const tags = ['organizations'];
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema };

const organizationSchema = z
  .object({
    id: z.int(),
    name: z.string(),
    created: z.string(),
    /** The storage limit for incomplete executions, in bytes ("MB" = 2^20 bytes). */
    ieQuotaBytes: z.int(),
    /** Bytes the organization's unresolved, undeleted IEs keep now (what the limit counts). */
    ieUsedBytes: z.int(),
  })
  .meta({ id: 'Organization' });
const organizationEnvelope = z.object({ organization: organizationSchema });
const organizationIdParams = z.object({ organizationId: integerIdParam });
const patchOrganizationBody = z.strictObject({
  ieQuotaBytes: z
    .int({ error: 'must be an integer number of bytes' })
    .min(0, 'must not be negative')
    .max(Number.MAX_SAFE_INTEGER, 'is too large')
    .describe('The new storage limit in bytes; parks already stored are kept even above it'),
});

async function organizationView(store: Store, org: Organization): Promise<z.output<typeof organizationSchema>> {
  const usage = await store.quota.usage(org._id);
  return {
    id: org._id,
    name: org.name,
    created: org.createdAt.toISOString(),
    ieQuotaBytes: org.ieQuotaBytes,
    ieUsedBytes: usage.used,
  };
}

export const organizationRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { store } = deps;

  async function ownOrganization(orgId: number, organizationId: number): Promise<Organization> {
    const org = organizationId === orgId ? await store.organizations.get(orgId) : null;
    if (!org) throw notFound(`organization ${organizationId}`);
    return org;
  }

  app.get(
    '/organizations/:organizationId',
    {
      config: { scope: 'organizations:read' },
      schema: {
        tags,
        summary: "The token's organization: its incomplete-execution storage limit and usage",
        params: organizationIdParams,
        response: { 200: organizationEnvelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      return {
        organization: await organizationView(store, await ownOrganization(orgId, request.params.organizationId)),
      };
    },
  );

  app.patch(
    '/organizations/:organizationId',
    {
      config: { scope: 'organizations:write' },
      schema: {
        tags,
        summary: "Change the organization's incomplete-execution storage limit",
        description:
          "The limit is the operator's: only a deployment with IMEX_API_QUOTA_WRITES=true lets tokens with " +
          'organizations:write change it (otherwise 403; operators use `imex org set-quota`). ' +
          'Takes effect for parks within seconds (workers cache the limit briefly). A lower limit deletes nothing: ' +
          'new IEs are refused (data loss rules, Make §1.4) until usage is back under it.',
        params: organizationIdParams,
        body: patchOrganizationBody,
        response: { 200: organizationEnvelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { organizationId } = request.params;
      await ownOrganization(orgId, organizationId);
      // Make: the storage limit comes with the plan; a token must not raise its own.
      if (!deps.quotaWrites) {
        throw forbidden(
          'this deployment keeps the storage limit for its operator (imex org set-quota); ' +
            'API tokens may change it only with IMEX_API_QUOTA_WRITES=true',
        );
      }
      if (!(await store.organizations.setQuota(organizationId, request.body.ieQuotaBytes))) {
        throw notFound(`organization ${organizationId}`);
      }
      return { organization: await organizationView(store, await ownOrganization(orgId, organizationId)) };
    },
  );
};
