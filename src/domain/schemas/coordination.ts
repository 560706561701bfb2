import { z } from 'zod';
import { isTimeZone } from '../iml/dates/zone';
import { schedulingSpecOf } from '../scenario-scheduling';

const cronField = /^[\d*/,\-A-Za-z?LW#]+$/;

const clockTime = z.string().regex(/^\d{1,2}:\d{2}$/, 'must be a time HH:mm');
const integers = z.array(z.coerce.number().int());

/** What every scheduling type may carry: Make's start/end dates and restrict windows, imex's zone. */
const common = {
  between: z.array(z.string()).max(2).optional(),
  restrict: z
    .array(
      z.looseObject({ days: integers.optional(), months: integers.optional(), time: z.array(clockTime).optional() }),
    )
    .optional(),
  timezone: z
    .string()
    .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Prague' })
    .optional()
    .describe("imex: the zone of the clock times (Make uses the organization's); default UTC"),
};

/**
 * How the scenario is triggered besides on demand, as Make's export `scheduling` key (reference
 * make-iml.md §7): `indefinitely` every `interval` seconds, `once` at `date`, `daily` at `time`,
 * `weekly`/`monthly` on `days` at `time`, `yearly` in `months` on `days` at `time`, each with
 * optional `restrict` windows and `between` dates; `immediately` (instant, a webhook) and
 * `on-demand` have no schedule; imex's `cron` (5 fields) too. The Temporal Schedule spec is
 * scenario-scheduling.ts's; its refusals (a restrict window with no time left …) are this schema's.
 */
const schedulingShape = z.preprocess(
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
    // An empty scheduling (`{}`, as some exports carry) schedules nothing: runs on demand only.
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) return { type: 'on-demand' };
    return v;
  },
  z.discriminatedUnion(
    'type',
    [
      z.looseObject({
        type: z.literal('indefinitely'),
        /** Seconds between runs. */
        interval: z.coerce.number().int().min(1, 'must be at least 1 second').max(31_536_000),
        ...common,
      }),
      z.looseObject({
        type: z.literal('cron'),
        cron: z
          .string()
          .trim()
          .refine((c) => c.split(/\s+/).length === 5 && c.split(/\s+/).every((f) => cronField.test(f)), {
            message: 'must be a cron expression of 5 fields (minute hour day-of-month month day-of-week)',
          }),
        ...common,
      }),
      z.looseObject({ type: z.literal('once'), date: z.string(), ...common }),
      z.looseObject({ type: z.literal('daily'), time: clockTime, ...common }),
      z.looseObject({ type: z.literal('weekly'), days: integers.min(1), time: clockTime, ...common }),
      z.looseObject({ type: z.literal('monthly'), days: integers.min(1), time: clockTime, ...common }),
      z.looseObject({
        type: z.literal('yearly'),
        months: integers.min(1),
        days: integers.min(1),
        time: clockTime,
        ...common,
      }),
      z.looseObject({ type: z.literal('immediately') }),
      z.looseObject({ type: z.literal('on-demand') }),
    ],
    {
      error:
        'type must be indefinitely (with interval), once, daily, weekly, monthly, yearly, cron, immediately or on-demand',
    },
  ),
);
type SchedulingShape = z.output<typeof schedulingShape>;

export const schedulingSchema = schedulingShape
  // Only a scheduling of the right shape is mapped (a pipe runs after the shape passed).
  .pipe(
    z.custom<SchedulingShape>().transform((scheduling, ctx) => {
      const result = schedulingSpecOf(scheduling);
      if (result.ok) return scheduling;
      const path = result.path
        .split(/[.[\]]+/)
        .filter(Boolean)
        .map((key) => (/^\d+$/.test(key) ? Number(key) : key));
      ctx.addIssue({ code: 'custom', path, message: result.message, input: scheduling });
      return z.NEVER;
    }),
  );
