/**
 * `util:GetVariable2` (Make's "Get variable") and `util:GetVariables` ("Get multiple variables"):
 * read the variables that Set variable modules set earlier in this run (or, in an attempt, on
 * the failed bundle's path: src/domain/run-variables.ts). Output: `{ [name]: value }`, null for a
 * variable not set. `util:GetVariables` takes `variables: [{ name }]` (Make's field is inferred;
 * a plain list of names is accepted too).
 */
import { z } from 'zod';
import { defineModule, type ModuleRunState } from './contract';

const name = z.string().min(1, 'a variable needs a name');

function read(runState: ModuleRunState | undefined, names: readonly string[]): Record<string, unknown> {
  const variables = runState?.variables ?? {};
  return Object.fromEntries(
    names.map((n) => [n, Object.prototype.hasOwnProperty.call(variables, n) ? variables[n] : null]),
  );
}

export const utilGetVariable2 = defineModule({
  type: 'util:GetVariable2',
  title: 'Get variable',
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({ name }),
  async run({ mapper, runState }) {
    return [read(runState, [mapper.name])];
  },
});

export const utilGetVariables = defineModule({
  type: 'util:GetVariables',
  title: 'Get multiple variables',
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({
    variables: z.array(z.union([name, z.looseObject({ name })]), {
      error: 'variables is a list of { name }',
    }),
  }),
  async run({ mapper, runState }) {
    return [
      read(
        runState,
        mapper.variables.map((v) => (typeof v === 'string' ? v : v.name)),
      ),
    ];
  },
});
