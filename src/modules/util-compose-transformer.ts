/**
 * `util:ComposeTransformer`: Make's "Compose a string". Outputs `{ value }`, the mapped `value`
 * as text (a number or boolean as its text, nothing as `""`, an object or array as its JSON).
 */
import { z } from 'zod';
import { defineModule } from './contract';

export const utilComposeTransformer = defineModule({
  type: 'util:ComposeTransformer',
  title: 'Compose a string',
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({ value: z.unknown().optional() }),
  async run({ mapper }) {
    return [{ value: asText(mapper.value) }];
  },
});

export function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
