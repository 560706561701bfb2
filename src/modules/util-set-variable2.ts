/**
 * `util:SetVariable2`: Make's "Set variable". Outputs `{ [name]: value }`; later modules map
 * it as `{{<id>.<name>}}`. A value that mapped to nothing is stored as null (Make's "empty").
 * `scope` (`roundtrip` or `execution`) is accepted; with one roundtrip per run both mean the same.
 */
import { z } from 'zod';
import { defineModule } from './contract';

export const utilSetVariable2 = defineModule({
  type: 'util:SetVariable2',
  title: 'Set variable',
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({
    name: z.string().min(1, 'a variable needs a name'),
    scope: z.enum(['roundtrip', 'execution']).default('roundtrip'),
    value: z.unknown().optional(),
  }),
  async run({ mapper }) {
    // fromEntries defines an own property even for names such as "__proto__".
    return [Object.fromEntries([[mapper.name, mapper.value ?? null]])];
  },
});
