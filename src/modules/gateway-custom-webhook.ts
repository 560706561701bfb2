/**
 * `gateway:CustomWebHook`: Make's "Custom webhook" trigger. The run's input data (the webhook's
 * payload, or `POST /scenarios/{id}/run` `{ data }`) becomes the first bundles:
 * an array → one bundle per item; an object → one bundle; nothing → one empty bundle (a run
 * that was asked to run does run); any other value → `{ value }`.
 *
 * `parameters.hook` (the hook id) and `maxResults` are kept from Make's export but not used:
 * imex starts one run per request and does not queue webhook data.
 */
import { z } from 'zod';
import { defineModule, type OutputBundle } from './contract';

export function bundleFromValue(value: unknown): OutputBundle {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as OutputBundle)
    : { value: value ?? null };
}

export const gatewayCustomWebHook = defineModule({
  type: 'gateway:CustomWebHook',
  title: 'Custom webhook',
  trigger: true,
  parametersSchema: z.looseObject({
    hook: z.union([z.int(), z.string()]).optional(),
    maxResults: z.int().positive().optional(),
  }),
  mapperSchema: z.looseObject({}),
  async run({ input }) {
    if (input === undefined || input === null) return [{}];
    if (Array.isArray(input)) return input.map(bundleFromValue);
    return [bundleFromValue(input)];
  },
});
