/**
 * `regexp:Replace`: Make's Text parser "Replace". Everything is in `mapper`: `pattern`, `value`
 * (the new value; `$1`, `$<name>`, `$&` insert groups and the match), `global`, `sensitive`,
 * `multiline`, `singleline`, `text`. Output `{ text }`.
 *
 * The pattern may be mapped, so it is checked again when the module runs: a bad one is then a
 * DataError naming `mapper.pattern` (the contract's check of mapped fields).
 */
import { z } from 'zod';
import { defineModule } from './contract';
import { compileRegexp, flagSchema, patternSchema } from './regexp-flags';
import { matchWithinTimeBound } from './time-bound';

const textLike = z
  .union([z.string(), z.number(), z.boolean()])
  .nullish()
  .transform((value) => (value === undefined || value === null ? '' : String(value)));

export const regexpReplace = defineModule({
  type: 'regexp:Replace',
  title: 'Text parser: replace',
  versions: [1],
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({
    pattern: patternSchema,
    value: textLike,
    text: textLike,
    global: flagSchema,
    sensitive: flagSchema,
    multiline: flagSchema,
    singleline: flagSchema,
  }),
  async run({ mapper }) {
    const regexp = compileRegexp(mapper.pattern, mapper);
    return [{ text: matchWithinTimeBound('replacing the pattern', () => mapper.text.replace(regexp, mapper.value)) }];
  },
});
