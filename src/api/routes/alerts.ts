/**
 * `/alerts`: the organization's alert digests (docs/alerts.md). `GET /alerts` and `PUT /alerts`
 * read and replace its channels, rules and window (scopes `dlqs:read` / `dlqs:write`: alerts are
 * about its incomplete executions); `GET /alerts/digests` lists the latest digests and the channels
 * each reached. Not in Make's API.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { alertKinds, DEFAULT_ALERT_WINDOW_SECONDS, type AlertSettings } from '../../domain/alerts';
import { authOf } from '../auth';
import type { ApiDeps } from '../deps';
import { errorBodySchema } from '../errors';
import { alertDigestViewSchema, alertSettingsBody, alertSettingsSchema } from '../schemas/alerts';

const tags = ['alerts'];
const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema };
const envelope = z.object({ alerts: alertSettingsSchema });

/** An organization that has not configured alerts: no channel, every kind on, the default window. */
const unconfigured: AlertSettings = {
  channels: [],
  rules: Object.fromEntries(alertKinds.map((kind) => [kind, true])) as AlertSettings['rules'],
  windowSeconds: DEFAULT_ALERT_WINDOW_SECONDS,
};

export const alertRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { store }) => {
  app.get(
    '/alerts',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: "imex: the organization's alert channels, rules and digest window",
        response: { 200: envelope, ...errors },
      },
    },
    async (request) => ({ alerts: (await store.alerts.getSettings(authOf(request).orgId)) ?? unconfigured }),
  );

  app.put(
    '/alerts',
    {
      config: { scope: 'dlqs:write' },
      schema: {
        tags,
        summary: "imex: set the organization's alert channels, rules (kinds left out are on) and digest window",
        body: alertSettingsBody,
        response: { 200: envelope, ...errors },
      },
    },
    async (request) => {
      const { orgId } = authOf(request);
      const { channels, windowSeconds } = request.body;
      const rules = { ...unconfigured.rules, ...request.body.rules } as AlertSettings['rules'];
      const settings: AlertSettings = { channels, rules, windowSeconds };
      await store.alerts.putSettings(orgId, settings);
      return { alerts: settings };
    },
  );

  app.get(
    '/alerts/digests',
    {
      config: { scope: 'dlqs:read' },
      schema: {
        tags,
        summary: 'imex: the latest alert digests (newest first) and the channels each was delivered to',
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
        response: { 200: z.object({ digests: z.array(alertDigestViewSchema) }), ...errors },
      },
    },
    async (request) => {
      const docs = await store.alerts.listDigests(authOf(request).orgId, request.query.limit);
      return {
        digests: docs.map((doc) => ({
          id: doc._id,
          windowStart: new Date(doc.window).toISOString(),
          closedAt: doc.closedAt.toISOString(),
          groups: doc.digest ? doc.digest.groups : null,
          suppressed: doc.digest?.suppressed ?? 0,
          deliveredTo: doc.deliveredTo,
        })),
      };
    },
  );
};
