import { z } from 'zod';
import { parseDuration } from '../schedule';

/** A duration: milliseconds, or text such as `30s`, `10m`, `3h`. */
export const durationSchema = z.union([
  z.int().min(0),
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a duration: "${text}" (use e.g. 30s, 10m, 3h)` });
      return z.NEVER;
    }
    return ms;
  }),
]);

/**
 * A schedule from config: an array of durations, or a comma-separated string (`"5s,10s,30s"`).
 * An empty schedule means "never retry automatically".
 */
export const retryScheduleSchema = z.union([
  z.array(durationSchema).max(100),
  z.string().transform((text, ctx): number[] => {
    const parts = text.trim() === '' ? [] : text.split(',');
    const delays = parts.map(parseDuration);
    if (delays.some((d) => d === undefined)) {
      ctx.addIssue({ code: 'custom', message: `not a list of durations: "${text}" (use e.g. 1m,10m,3h)` });
      return z.NEVER;
    }
    return delays as number[];
  }),
]);
