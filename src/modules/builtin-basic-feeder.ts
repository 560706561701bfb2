/**
 * `builtin:BasicFeeder`: Make's Iterator. One bundle per item of `mapper.array`, shaped as
 * Make's: an object item's own fields, a primitive (or nested array) item as `{ value }`, each
 * with `__IMTINDEX__` (1-based) and `__IMTLENGTH__`. An array that mapped to nothing gives no
 * bundles, as in Make; a value that is not an array is a DataError.
 */
import { z } from 'zod';
import { defineModule, type OutputBundle } from './contract';

export const builtinBasicFeeder = defineModule({
  type: 'builtin:BasicFeeder',
  title: 'Iterator',
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({ array: z.array(z.unknown()).optional() }),
  async run({ mapper }) {
    const items = mapper.array ?? [];
    return items.map((item, i): OutputBundle => ({
      ...(item !== null && typeof item === 'object' && !Array.isArray(item) ? item : { value: item }),
      __IMTINDEX__: i + 1,
      __IMTLENGTH__: items.length,
    }));
  },
});
