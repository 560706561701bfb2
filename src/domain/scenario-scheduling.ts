/**
 * Make's `scheduling` object (reference make-iml.md §7) as a Temporal Schedule spec. Pure: the
 * result has the shape of `@temporalio/client`'s `ScheduleSpec` without importing it.
 *
 * - `indefinitely` every `interval` seconds → an interval; with `restrict` windows, a calendar
 *   (the interval must then divide an hour or a day: 60, 300, 900, 3600, 7200 s …);
 * - `once` at `date` (ISO date-time) → a calendar with that year, in UTC (the date is absolute);
 * - `daily` at `time`, `weekly` on `days` (0-6, 0 = Sunday) at `time`, `monthly` on `days` (1-31)
 *   at `time`, `yearly` in `months` (1-12) on `days` at `time` → calendars;
 * - `restrict: [{ days?, months?, time?: [from, to] }]` keeps only the times inside at least one
 *   window: weekdays 0-6 (7 is Sunday too), months 1-12, from ≤ clock time < to (a window whose
 *   `to` is not after `from` runs over midnight);
 * - `between: [start, end]` → `startAt` / `endAt`;
 * - `immediately`, `on-demand` → no schedule; imex's own `cron` → the cron expression.
 *
 * Clock times are in `timezone` (an imex addition: Make uses the organization's zone; default UTC).
 */

export const MONTH_NAMES = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;
export const DAY_OF_WEEK_NAMES = [
  'SUNDAY',
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
] as const;

export interface SpecRange<Unit> {
  start: Unit;
  end: Unit;
  step?: number;
}

/** Temporal's `CalendarSpec`, every field given (Temporal's defaults are 0 for time fields). */
export interface SpecCalendar {
  second: number;
  minute: SpecRange<number>[];
  hour: SpecRange<number>[];
  dayOfMonth: SpecRange<number>[] | '*';
  month: SpecRange<(typeof MONTH_NAMES)[number]>[] | '*';
  dayOfWeek: SpecRange<(typeof DAY_OF_WEEK_NAMES)[number]>[] | '*';
  year: SpecRange<number>[] | '*';
}

/** Temporal's `ScheduleSpec`, as far as Make's scheduling needs it. */
export interface SchedulingSpec {
  intervals?: { every: number }[];
  calendars?: SpecCalendar[];
  cronExpressions?: string[];
  startAt?: Date;
  endAt?: Date;
  timezone?: string;
}

/** The fields of Make's scheduling this mapping reads (the zod schema checks their shapes). */
export interface MakeScheduling {
  type: string;
  interval?: number;
  date?: string;
  days?: number[];
  months?: number[];
  time?: string;
  between?: string[];
  restrict?: { days?: number[]; months?: number[]; time?: string[] }[];
  cron?: string;
  timezone?: string;
}

export type SchedulingSpecResult =
  { ok: true; spec: SchedulingSpec | undefined } | { ok: false; path: string; message: string };

/** Whether a scheduling type runs on a Temporal Schedule (`immediately` and `on-demand` do not). */
export function schedulingTypeRunsOnSchedule(type: string | undefined): boolean {
  return type !== undefined && type !== 'immediately' && type !== 'on-demand';
}

/** The set of clock times, days and months a calendar fires on, as explicit values. */
interface Slots {
  minutes: number[];
  hours: number[];
  daysOfMonth?: number[];
  months?: number[];
  daysOfWeek?: number[];
  year?: number;
  second?: number;
}

const range = (from: number, to: number, step = 1): number[] => {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
};

class SchedulingProblem extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** `"09:30"` → minutes since midnight. */
export function parseClockTime(text: string, path: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  if (!match || hours > 23 || minutes > 59) throw new SchedulingProblem(path, `"${text}" is not a time HH:mm`);
  return hours * 60 + minutes;
}

function requireTime(scheduling: MakeScheduling): number {
  if (scheduling.time === undefined) throw new SchedulingProblem('time', `${scheduling.type} needs a time HH:mm`);
  return parseClockTime(scheduling.time, 'time');
}

function requireDays(scheduling: MakeScheduling, min: number, max: number, what: string): number[] {
  const days = scheduling.days;
  if (!days || days.length === 0) throw new SchedulingProblem('days', `${scheduling.type} needs days (${what})`);
  const bad = days.find((d) => !Number.isInteger(d) || d < min || d > max);
  if (bad !== undefined) throw new SchedulingProblem('days', `${bad} is not one of ${what}`);
  return [...new Set(days)].sort((a, b) => a - b);
}

function checkedMonths(months: number[] | undefined, path: string): number[] | undefined {
  if (!months || months.length === 0) return undefined;
  const bad = months.find((m) => !Number.isInteger(m) || m < 1 || m > 12);
  if (bad !== undefined) throw new SchedulingProblem(path, `${bad} is not a month 1-12`);
  return [...new Set(months)].sort((a, b) => a - b);
}

function checkedWeekdays(days: number[] | undefined, path: string): number[] | undefined {
  if (!days || days.length === 0) return undefined;
  const bad = days.find((d) => !Number.isInteger(d) || d < 0 || d > 7);
  if (bad !== undefined) throw new SchedulingProblem(path, `${bad} is not a weekday 0-6 (0 = Sunday)`);
  return [...new Set(days.map((d) => d % 7))].sort((a, b) => a - b);
}

const atClockTime = (minutesOfDay: number): Pick<Slots, 'minutes' | 'hours'> => ({
  minutes: [minutesOfDay % 60],
  hours: [Math.floor(minutesOfDay / 60)],
});

/** An interval as calendar slots: it must divide an hour (whole minutes) or a day (whole hours). */
function intervalSlots(interval: number): Slots {
  if (interval % 60 === 0 && 3600 % interval === 0)
    return { minutes: range(0, 59, interval / 60), hours: range(0, 23) };
  if (interval % 3600 === 0 && 86_400 % interval === 0) return { minutes: [0], hours: range(0, 23, interval / 3600) };
  throw new SchedulingProblem(
    'interval',
    `with restrict windows the interval must divide an hour or a day (60, 300, 900, 3600, 7200 … seconds), not ${interval}`,
  );
}

function baseSlots(scheduling: MakeScheduling): Slots {
  switch (scheduling.type) {
    case 'indefinitely':
      return intervalSlots(scheduling.interval ?? 0);
    case 'daily':
      return atClockTime(requireTime(scheduling));
    case 'weekly':
      return {
        ...atClockTime(requireTime(scheduling)),
        daysOfWeek: requireDays(scheduling, 0, 6, 'weekdays 0-6, 0 = Sunday'),
      };
    case 'monthly':
      return {
        ...atClockTime(requireTime(scheduling)),
        daysOfMonth: requireDays(scheduling, 1, 31, 'days of the month 1-31'),
      };
    case 'yearly': {
      const months = checkedMonths(scheduling.months, 'months');
      if (!months) throw new SchedulingProblem('months', 'yearly needs months (1-12)');
      return {
        ...atClockTime(requireTime(scheduling)),
        daysOfMonth: requireDays(scheduling, 1, 31, 'days of the month 1-31'),
        months,
      };
    }
    default:
      throw new SchedulingProblem('type', `${scheduling.type} has no calendar`);
  }
}

const intersect = (a: number[] | undefined, b: number[] | undefined): number[] | undefined =>
  a === undefined ? b : b === undefined ? a : a.filter((v) => b.includes(v));

/** The base slots inside one restrict window: one slot set per group of hours alike. */
function restrictSlots(base: Slots, window: NonNullable<MakeScheduling['restrict']>[number], path: string): Slots[] {
  const daysOfWeek = intersect(base.daysOfWeek, checkedWeekdays(window.days, `${path}.days`));
  const months = intersect(base.months, checkedMonths(window.months, `${path}.months`));
  if (daysOfWeek?.length === 0 || months?.length === 0) return [];
  const rest = { ...base, ...(daysOfWeek ? { daysOfWeek } : {}), ...(months ? { months } : {}) };
  if (!window.time || window.time.length === 0) return [rest];
  if (window.time.length !== 2) throw new SchedulingProblem(`${path}.time`, 'a time window is [from, to], both HH:mm');
  const from = parseClockTime(window.time[0] ?? '', `${path}.time[0]`);
  const to = parseClockTime(window.time[1] ?? '', `${path}.time[1]`);
  const inside = (t: number) => (from < to ? t >= from && t < to : t >= from || t < to);
  // Hours whose allowed minutes are the same share one calendar.
  const byMinutes = new Map<string, { minutes: number[]; hours: number[] }>();
  for (const hour of base.hours) {
    const minutes = base.minutes.filter((m) => inside(hour * 60 + m));
    if (minutes.length === 0) continue;
    const key = minutes.join(',');
    const group = byMinutes.get(key) ?? { minutes, hours: [] };
    group.hours.push(hour);
    byMinutes.set(key, group);
  }
  return [...byMinutes.values()].map((group) => ({ ...rest, ...group }));
}

/**
 * Distinct values → the fewest ranges: one stepped range when evenly spaced (and `stepped`),
 * else runs of consecutive values.
 */
export function compressToRanges(values: number[], stepped = true): SpecRange<number>[] {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const step = (sorted[1] ?? sorted[0]!) - sorted[0]!;
  if (stepped && sorted.length > 2 && step > 1 && sorted.every((v, i) => v === sorted[0]! + i * step)) {
    return [{ start: sorted[0]!, end: sorted[sorted.length - 1]!, step }];
  }
  const ranges: SpecRange<number>[] = [];
  for (const v of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last.end === v - 1) last.end = v;
    else ranges.push({ start: v, end: v });
  }
  return ranges;
}

function named<N extends string>(
  values: number[] | undefined,
  names: readonly N[],
  offset: number,
): SpecRange<N>[] | '*' {
  if (!values) return '*';
  return compressToRanges(values, false).map(({ start, end }) => ({
    start: names[start - offset]!,
    end: names[end - offset]!,
  }));
}

function calendarOf(slots: Slots): SpecCalendar {
  return {
    second: slots.second ?? 0,
    minute: compressToRanges(slots.minutes),
    hour: compressToRanges(slots.hours),
    dayOfMonth: slots.daysOfMonth ? compressToRanges(slots.daysOfMonth) : '*',
    // Temporal names months and weekdays; named ranges go in runs (no step).
    month: named(slots.months, MONTH_NAMES, 1),
    dayOfWeek: named(slots.daysOfWeek, DAY_OF_WEEK_NAMES, 0),
    year: slots.year === undefined ? '*' : [{ start: slots.year, end: slots.year }],
  };
}

function onceCalendar(date: string | undefined): SpecCalendar {
  const at = date === undefined ? Number.NaN : Date.parse(date);
  // Make: "once needs a full date-time; a bare date fails" (make-skills).
  if (date === undefined || !/T\d{2}:\d{2}/.test(date) || Number.isNaN(at)) {
    throw new SchedulingProblem('date', 'once needs a date-time (ISO 8601, e.g. 2027-01-31T09:00:00Z)');
  }
  const d = new Date(at);
  return calendarOf({
    second: d.getUTCSeconds(),
    minutes: [d.getUTCMinutes()],
    hours: [d.getUTCHours()],
    daysOfMonth: [d.getUTCDate()],
    months: [d.getUTCMonth() + 1],
    year: d.getUTCFullYear(),
  });
}

function betweenBounds(between: string[] | undefined): Pick<SchedulingSpec, 'startAt' | 'endAt'> {
  if (!between || between.length === 0) return {};
  const [start, end] = between.map((text, i) => {
    const at = Date.parse(text);
    if (Number.isNaN(at)) throw new SchedulingProblem(`between[${i}]`, `"${text}" is not an ISO 8601 date-time`);
    return new Date(at);
  });
  if (start && end && end.getTime() < start.getTime())
    throw new SchedulingProblem('between[1]', 'ends before it starts');
  return { ...(start ? { startAt: start } : {}), ...(end ? { endAt: end } : {}) };
}

/** Make's scheduling → the Temporal Schedule spec; undefined for types that run without one. */
export function schedulingSpecOf(scheduling: MakeScheduling): SchedulingSpecResult {
  try {
    return { ok: true, spec: specOf(scheduling) };
  } catch (error) {
    if (error instanceof SchedulingProblem) return { ok: false, path: error.path, message: error.message };
    throw error;
  }
}

function specOf(scheduling: MakeScheduling): SchedulingSpec | undefined {
  if (!schedulingTypeRunsOnSchedule(scheduling.type)) return undefined;
  const bounds = betweenBounds(scheduling.between);
  const timezone = scheduling.timezone ? { timezone: scheduling.timezone } : {};
  const restrict = scheduling.restrict ?? [];
  if (scheduling.type === 'cron') return { cronExpressions: [scheduling.cron ?? ''], ...bounds, ...timezone };
  if (scheduling.type === 'once') {
    if (restrict.length > 0) throw new SchedulingProblem('restrict', 'once runs at its date: restrict does not apply');
    return { calendars: [onceCalendar(scheduling.date)], ...bounds, timezone: 'UTC' };
  }
  if (scheduling.type === 'indefinitely' && restrict.length === 0) {
    return { intervals: [{ every: (scheduling.interval ?? 0) * 1000 }], ...bounds, ...timezone };
  }
  const base = baseSlots(scheduling);
  const slots = restrict.length === 0 ? [base] : restrict.flatMap((w, i) => restrictSlots(base, w, `restrict[${i}]`));
  if (slots.length === 0) throw new SchedulingProblem('restrict', 'no time is left to run inside the restrict windows');
  return { calendars: slots.map(calendarOf), ...bounds, ...timezone };
}
