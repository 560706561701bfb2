/**
 * `util:Switcher`: Make's "Switch". The first case of `casesTable` whose `pattern` matches `input`
 * wins and its `output` is output as `{ output }`; with no match, `elseOutput`; with no match and
 * no else, no bundle (the path ends there, as in Make). Patterns compare as text, or, with
 * `useRegExpMatch`, as regular expressions (JavaScript syntax; one that does not compile is a
 * DataError naming the case).
 */
import { z } from 'zod';
import { ModuleError } from '../domain';
import { defineModule } from './contract';
import { asText } from './util-compose-transformer';
import { matchWithinTimeBound } from './time-bound';

export const utilSwitcher = defineModule({
  type: 'util:Switcher',
  title: 'Switch',
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({
    input: z.unknown().optional(),
    useRegExpMatch: z.union([z.boolean(), z.enum(['true', 'false'])]).default(false),
    casesTable: z
      .array(z.looseObject({ pattern: z.unknown().optional(), output: z.unknown().optional() }), {
        error: 'casesTable is a list of { pattern, output }',
      })
      .default([]),
    elseOutput: z.unknown().optional(),
  }),
  async run({ mapper }) {
    const input = asText(mapper.input);
    const regExp = mapper.useRegExpMatch === true || mapper.useRegExpMatch === 'true';
    for (const [i, entry] of mapper.casesTable.entries()) {
      const pattern = asText(entry.pattern);
      const matches = regExp
        ? matchWithinTimeBound(`matching case ${i + 1}'s pattern`, () => compile(pattern, i).test(input))
        : pattern === input;
      if (matches) return [{ output: entry.output ?? null }];
    }
    return mapper.elseOutput === undefined || mapper.elseOutput === null ? [] : [{ output: mapper.elseOutput }];
  },
});

function compile(pattern: string, index: number): RegExp {
  try {
    return new RegExp(pattern);
  } catch (error) {
    throw new ModuleError(
      'DataError',
      `casesTable[${index}].pattern is not a regular expression: ${(error as Error).message}`,
    );
  }
}
