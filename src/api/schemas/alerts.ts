/** Request and response shapes of `/alerts` (docs/alerts.md). */
import { z } from 'zod';
import { alertKinds, DEFAULT_ALERT_WINDOW_SECONDS, MAX_ALERT_CHANNELS } from '../../domain/alerts';

const channelId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ and - only, at most 40');
const channelSchema = z.discriminatedUnion('type', [
  z.object({
    id: channelId,
    type: z.literal('webhook'),
    url: z
      .string()
      .url()
      .refine((u) => u.startsWith('http://') || u.startsWith('https://'), { message: 'must be an http(s) URL' }),
  }),
  z.object({
    id: channelId,
    type: z.literal('email'),
    to: z.array(z.string().email()).min(1).max(20),
    /** One of the deployment's SMTP connections (`IMEX_SMTP_URL` is `default`, the default). */
    connection: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'an SMTP connection name')
      .optional(),
  }),
]);

const rulesSchema = z
  .object(
    Object.fromEntries(alertKinds.map((kind) => [kind, z.boolean().optional()])) as Record<
      (typeof alertKinds)[number],
      z.ZodOptional<z.ZodBoolean>
    >,
  )
  .strict();

export const alertSettingsBody = z
  .object({
    channels: z
      .array(channelSchema)
      .max(MAX_ALERT_CHANNELS)
      .refine((channels) => new Set(channels.map((c) => c.id)).size === channels.length, {
        message: 'channel ids must be unique',
      }),
    /** Kinds left out are on. */
    rules: rulesSchema.default({}),
    windowSeconds: z.number().int().min(10).max(86_400).default(DEFAULT_ALERT_WINDOW_SECONDS),
  })
  .strict();

export const alertSettingsSchema = z.object({
  channels: z.array(channelSchema),
  rules: z.object(
    Object.fromEntries(alertKinds.map((kind) => [kind, z.boolean()])) as Record<
      (typeof alertKinds)[number],
      z.ZodBoolean
    >,
  ),
  windowSeconds: z.number(),
});

const digestGroupSchema = z.object({
  kind: z.enum(alertKinds),
  scenarioId: z.number().nullable(),
  errorType: z.string().nullable(),
  count: z.number(),
  ieIds: z.array(z.string()),
  example: z.string(),
  firstAt: z.string(),
  lastAt: z.string(),
});

export const alertDigestViewSchema = z.object({
  id: z.string(),
  windowStart: z.string(),
  closedAt: z.string(),
  /** Null: nothing was left to say (every park resolved within the window). */
  groups: z.array(digestGroupSchema).nullable(),
  suppressed: z.number(),
  deliveredTo: z.array(z.string()),
});
