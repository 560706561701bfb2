/**
 * `json:CreateJSON` and `json:TransformToJSON`: Make's "Create JSON" and "Transform to JSON".
 * Both output `{ json }`, the text, indented by `parameters.space` (`""` none, `"tab"`, `"2"`,
 * `"4"`). Create JSON serializes the mapper (the data structure's fields, as mapped); Transform
 * to JSON serializes `mapper.object`, whatever it is (a text becomes a JSON string).
 *
 * Differs from Make: `parameters.type` (the data structure id) is kept but not used, so fields are
 * neither dropped nor coerced by it; what the mapper holds is what the JSON holds.
 */
import { z } from 'zod';
import { defineModule } from './contract';

const spaceSchema = z
  .union([z.enum(['', 'tab', '2', '4']), z.literal(2), z.literal(4)], {
    error: 'must be "" (no indent), "tab", "2" or "4"',
  })
  .default('');

const parametersSchema = z.looseObject({
  type: z.union([z.int(), z.string()]).nullish(),
  space: spaceSchema,
});

/** Make's `space` as `JSON.stringify`'s third argument. */
export function jsonIndent(space: z.output<typeof spaceSchema>): string | number | undefined {
  if (space === 'tab') return '\t';
  if (space === '') return undefined;
  return Number(space);
}

export const jsonCreateJson = defineModule({
  type: 'json:CreateJSON',
  title: 'Create JSON',
  parametersSchema,
  mapperSchema: z.record(z.string(), z.unknown()),
  async run({ parameters, mapper }) {
    return [{ json: JSON.stringify(mapper, null, jsonIndent(parameters.space)) }];
  },
});

export const jsonTransformToJson = defineModule({
  type: 'json:TransformToJSON',
  title: 'Transform to JSON',
  parametersSchema,
  mapperSchema: z.looseObject({ object: z.unknown().optional() }),
  async run({ parameters, mapper }) {
    // Make: an object that mapped to nothing is the JSON `null`.
    return [{ json: JSON.stringify(mapper.object ?? null, null, jsonIndent(parameters.space)) }];
  },
});
