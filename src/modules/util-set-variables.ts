/**
 * `util:SetVariables`: Make's "Set multiple variables". Outputs one bundle with a field per
 * variable (`{{<id>.<name>}}`); a value that mapped to nothing is null, and a later variable of
 * the same name wins. `scope` as in `util:SetVariable2`; the run keeps them for
 * `util:GetVariable2`/`util:GetVariables` (docs/modules.md, "Tools").
 */
import { z } from 'zod';
import { defineModule } from './contract';

export const utilSetVariables = defineModule({
  type: 'util:SetVariables',
  title: 'Set multiple variables',
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({
    variables: z.array(
      z.looseObject({ name: z.string().min(1, 'a variable needs a name'), value: z.unknown().optional() }),
      { error: 'variables is a list of { name, value }' },
    ),
    scope: z.enum(['roundtrip', 'execution']).default('roundtrip'),
  }),
  async run({ mapper }) {
    // fromEntries defines own properties even for names such as "__proto__".
    return [Object.fromEntries(mapper.variables.map((v) => [v.name, v.value ?? null]))];
  },
});
