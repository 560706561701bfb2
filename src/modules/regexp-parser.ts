/**
 * `regexp:Parser`: Make's Text parser "Match pattern". `parameters`: `pattern`, `global`,
 * `sensitive`, `multiline`, `singleline`, `continueWhenNoRes`; `mapper.text`.
 *
 * One bundle per match (only the first without `global`), shaped as Make's: `i` (the match's
 * 1-based index), each numbered group as `$1`, `$2`, … and each named group by its name too;
 * a group that took no part in the match is `null`. A pattern without groups gives `{ i }`.
 * No match stops the route (no bundle), unless `continueWhenNoRes`: then one empty bundle.
 *
 * `ignoreInfiniteLoopsWhenGlobal` is accepted: an empty match never loops here (the scan steps
 * past it, as `String.prototype.matchAll` does).
 */
import { z } from 'zod';
import { defineModule, type OutputBundle } from './contract';
import { compileRegexp, flagSchema, patternSchema } from './regexp-flags';
import { matchWithinTimeBound } from './time-bound';

/** A match as Make's bundle. */
export function matchBundle(match: RegExpMatchArray, index: number): OutputBundle {
  const bundle: OutputBundle = { i: index + 1 };
  for (let group = 1; group < match.length; group++) bundle[`$${group}`] = match[group] ?? null;
  for (const [name, value] of Object.entries(match.groups ?? {})) {
    // defineProperty: a group named "__proto__" stays a plain field.
    Object.defineProperty(bundle, name, { value: value ?? null, enumerable: true, writable: true, configurable: true });
  }
  return bundle;
}

export const regexpParser = defineModule({
  type: 'regexp:Parser',
  title: 'Text parser: match pattern',
  versions: [1],
  parametersSchema: z.looseObject({
    pattern: patternSchema,
    global: flagSchema,
    sensitive: flagSchema,
    multiline: flagSchema,
    singleline: flagSchema,
    continueWhenNoRes: flagSchema,
    ignoreInfiniteLoopsWhenGlobal: flagSchema,
  }),
  // Make maps nothing to an empty text: a missing text matches what an empty one matches.
  mapperSchema: z.looseObject({ text: z.union([z.string(), z.number(), z.boolean()]).nullish() }),
  async run({ parameters, mapper }) {
    const text = mapper.text === undefined || mapper.text === null ? '' : String(mapper.text);
    // matchAll needs the g flag; without `global` only the first match is kept.
    const regexp = compileRegexp(parameters.pattern, { ...parameters, global: true });
    const matches = matchWithinTimeBound('matching the pattern', () => [...text.matchAll(regexp)]);
    const kept = parameters.global ? matches : matches.slice(0, 1);
    if (kept.length === 0) return parameters.continueWhenNoRes ? [{}] : [];
    return kept.map(matchBundle);
  },
});
