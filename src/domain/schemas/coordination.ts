import { z } from 'zod';

const cronField = /^[\d*/,\-A-Za-z?LW#]+$/;

/**
 * How the scenario is triggered besides on demand, as Make's export `scheduling` key:
 * `indefinitely` every `interval` seconds; imex's `cron` (5 fields, UTC); `immediately` (instant,
 * a webhook) and `on-demand` have no schedule. Make's `once`/`daily`/`weekly`/`monthly` are not
 * supported: say them as a cron expression.
 */
export const schedulingSchema = z.preprocess(
  (value) => {
    let v = value;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    }
    // `{ cron }` without a type is a cron schedule.
    if (v && typeof v === 'object' && !('type' in v) && 'cron' in v) return { ...v, type: 'cron' };
    return v;
  },
  z.discriminatedUnion(
    'type',
    [
      z.looseObject({
        type: z.literal('indefinitely'),
        /** Seconds between runs. */
        interval: z.coerce.number().int().min(1, 'must be at least 1 second').max(31_536_000),
      }),
      z.looseObject({
        type: z.literal('cron'),
        cron: z
          .string()
          .trim()
          .refine((c) => c.split(/\s+/).length === 5 && c.split(/\s+/).every((f) => cronField.test(f)), {
            message: 'must be a cron expression of 5 fields (minute hour day-of-month month day-of-week)',
          }),
      }),
      z.looseObject({ type: z.literal('immediately') }),
      z.looseObject({ type: z.literal('on-demand') }),
    ],
    { error: 'type must be indefinitely (with interval), cron (with cron), immediately or on-demand' },
  ),
);
