/**
 * `util:FunctionSleep`: Make's "Sleep". In a scenario run the engine waits with a durable
 * workflow timer and never calls `run` (workflows/scenario-run.ts, src/domain/function-sleep.ts);
 * `run` waits the same way outside Temporal (a direct `invokeModule`), stopping when aborted.
 * Output: one empty bundle, so the flow goes on.
 */
import { setTimeout as wait } from 'node:timers/promises';
import { z } from 'zod';
import { SLEEP_MAX_SECONDS, SLEEP_MIN_SECONDS } from '../domain';
import { defineModule } from './contract';

export const utilFunctionSleep = defineModule({
  type: 'util:FunctionSleep',
  title: 'Sleep',
  parametersSchema: z.looseObject({}),
  mapperSchema: z.looseObject({
    duration: z.coerce
      .number({ error: 'duration is a number of seconds' })
      .int('duration is a whole number of seconds')
      .min(SLEEP_MIN_SECONDS, `duration is ${SLEEP_MIN_SECONDS} to ${SLEEP_MAX_SECONDS} seconds`)
      .max(SLEEP_MAX_SECONDS, `duration is ${SLEEP_MIN_SECONDS} to ${SLEEP_MAX_SECONDS} seconds`),
  }),
  async run({ mapper, signal }) {
    // The caller sees its own reason for the cancellation, not the timer's AbortError.
    await wait(mapper.duration * 1000, undefined, { signal }).catch((error: unknown) => {
      throw signal.aborted ? signal.reason : error;
    });
    return [{}];
  },
});
