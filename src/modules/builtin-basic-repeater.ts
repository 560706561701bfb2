/**
 * `builtin:BasicRepeater`: Make's Repeater. Outputs `repeats` bundles `{ i }`, `i` starting at
 * `start` (default 1) and adding `step` (default 1) each time; `repeats` is 0 to 10,000 (Make's
 * bounds), so a repeater never floods a run.
 */
import { z } from 'zod';
import { defineModule } from './contract';

const MAX_REPEATS = 10_000;
const number = (field: string) =>
  z.coerce.number({ error: `${field} is a number` }).refine(Number.isFinite, `${field} is a number`);

export const builtinBasicRepeater = defineModule({
  type: 'builtin:BasicRepeater',
  title: 'Repeater',
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({
    start: number('start').default(1),
    repeats: z.coerce
      .number({ error: 'repeats is a whole number' })
      .int('repeats is a whole number')
      .min(0, 'repeats is 0 to 10000')
      .max(MAX_REPEATS, 'repeats is 0 to 10000'),
    step: number('step').default(1),
  }),
  async run({ mapper }) {
    return Array.from({ length: mapper.repeats }, (_, n) => ({ i: mapper.start + n * mapper.step }));
  },
});
