/**
 * `json:ParseJSON`: parses `mapper.json` text. An object → one bundle; an array → one bundle
 * per item (Make outputs a bundle per item of a top-level array); other values → `{ value }`.
 * Text that is not JSON is a DataError: a person fixes the data and retries.
 *
 * `parameters.type` (Make's data structure id) is kept but not used to check the result.
 */
import { z } from 'zod';
import { ModuleError } from '../domain';
import { defineModule } from './contract';
import { bundleFromValue } from './gateway-custom-webhook';

export const jsonParseJson = defineModule({
  type: 'json:ParseJSON',
  title: 'Parse JSON',
  parametersSchema: z.looseObject({ type: z.union([z.int(), z.string()]).optional() }),
  mapperSchema: z.looseObject({ json: z.string() }),
  async run({ mapper }) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(mapper.json);
    } catch (error) {
      throw new ModuleError('DataError', `Source is not valid JSON: ${(error as Error).message}`, {
        details: { excerpt: mapper.json.slice(0, 200) },
      });
    }
    return Array.isArray(parsed) ? parsed.map(bundleFromValue) : [bundleFromValue(parsed)];
  },
});
