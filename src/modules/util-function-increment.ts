/**
 * `util:FunctionIncrement`: Make's "Increment function". Outputs `{ i }`: 1 on its first
 * operation in a run, one more on each next one. `reset` `run` (after one cycle) and `execution`
 * (after one run) are the same in imex (one cycle per run); an attempt of an IE goes on from the
 * count stored on its path. `scenario` (never reset) needs a count kept across runs, which imex
 * does not have yet: validation rejects it, naming the field.
 */
import { z } from 'zod';
import { defineModule } from './contract';

export const utilFunctionIncrement = defineModule({
  type: 'util:FunctionIncrement',
  title: 'Increment function',
  parametersSchema: z.looseObject({
    reset: z
      .enum(['run', 'execution'], {
        error: 'reset is "run" or "execution" ("scenario", never reset, is not supported yet)',
      })
      .default('run'),
  }),
  mapperSchema: z.looseObject({}),
  async run({ runState }) {
    return [{ i: (runState?.lastCount ?? 0) + 1 }];
  },
});
