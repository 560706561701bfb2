/**
 * `gateway:WebhookRespond`: Make's "Webhook response". mapper `status` (≥ 100, required), `body`
 * (any: text as is, anything else as JSON), `headers: [{ key, value }]`. The response is recorded
 * for the run (the first one wins, as Make answers once) and the caller of `POST /hooks/<id>`, who
 * waits a bounded time, gets it (docs/api.md). Outside a webhook run it is recorded and unread.
 * Its output is one empty bundle, so the route goes on.
 */
import { z } from 'zod';
import { ModuleError } from '../domain';
import { defineModule } from './contract';

const headerSchema = z.looseObject({
  key: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a header name'),
  value: z.union([z.string(), z.number(), z.boolean()]).transform(String),
});

export const gatewayWebhookRespond = defineModule({
  type: 'gateway:WebhookRespond',
  title: 'Webhook response',
  versions: [1],
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({
    status: z.coerce
      .number()
      .int('must be a whole number')
      .min(100, 'must be at least 100')
      .max(599, 'must be at most 599'),
    body: z.unknown().optional(),
    headers: z.preprocess((v) => (v === '' || v === null ? undefined : v), z.array(headerSchema).default([])),
  }),
  async run({ mapper, webhookResponses }) {
    if (!webhookResponses)
      throw new ModuleError('InvalidConfigurationError', 'webhook responses are not available on this worker');
    const body =
      mapper.body === undefined || mapper.body === null
        ? ''
        : typeof mapper.body === 'string'
          ? mapper.body
          : JSON.stringify(mapper.body);
    await webhookResponses.respond({ status: mapper.status, headers: mapper.headers, body });
    return [{}];
  },
});
