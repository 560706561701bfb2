/**
 * Date and time functions (reference §3.4). Dates are instants; formatting, parsing and the
 * `set*` / calendar `add*` functions work on the wall clock of a zone: the function's zone
 * argument when it names a known IANA zone, else the scenario's (environment) zone.
 */
import { daysInMonth, MONTHS, WEEKDAYS } from '../dates/calendar';
import { formatDate } from '../dates/format';
import { parseDateText, parseDateWithFormat } from '../dates/parse';
import { fromWallClock, isTimeZone, wallClock } from '../dates/zone';
import { ImlFunctionFailure } from '../errors';
import type { EvaluationState } from '../state';
import { describe, requireDate, toNumber, toText } from '../values';
import { atLeast, number, text } from './args';
import type { FunctionTable } from './types';

function zoneOf(args: unknown[], i: number, state: EvaluationState): string {
  const zone = args[i];
  return isTimeZone(zone) ? zone : state.env.timezone;
}

function dateArg(args: unknown[], state: EvaluationState): Date {
  atLeast(args, 1);
  return requireDate(args[0], state.env.timezone);
}

type Unit = 'year' | 'month' | 'date' | 'hour' | 'minute' | 'second';

/** The date with one wall-clock field replaced (or moved by `delta`); overflow rolls into the next unit. */
function withField(date: Date, zone: string, unit: Unit, value: number, relative: boolean): Date {
  const w = wallClock(date, zone);
  const f = { year: w.year, month: w.month - 1, date: w.day, hour: w.hour, minute: w.minute, second: w.second };
  f[unit] = relative ? f[unit] + value : value;
  if (relative && (unit === 'month' || unit === 'year')) {
    // Moment's months: the 31st plus a month is the last day of the shorter month.
    const target = new Date(Date.UTC(2000, f.month, 1));
    const year = f.year + Math.floor(f.month / 12);
    f.date = Math.min(f.date, daysInMonth(year, target.getUTCMonth() + 1));
  }
  return fromWallClock(zone, f.year, f.month, f.date, f.hour, f.minute, f.second, w.millisecond);
}

function add(unit: Unit | 'ms', factor = 1) {
  return (args: unknown[], state: EvaluationState): Date => {
    const date = dateArg(args, state);
    const amount = number(args, 1, 'amount');
    if (unit === 'ms') return new Date(date.getTime() + amount * factor);
    return withField(date, state.env.timezone, unit, Math.trunc(amount), true);
  };
}

function set(unit: Unit, names?: readonly string[]) {
  return (args: unknown[], state: EvaluationState): Date => {
    const date = dateArg(args, state);
    let value = names ? nameIndex(args[1], names) : undefined;
    if (value === undefined) value = Math.trunc(number(args, 1, unit));
    return withField(date, state.env.timezone, unit, unit === 'month' ? value - 1 : value, false);
  };
}

/** `january` → 1, `monday` → 1 (Sunday = 0 for days; callers adjust). */
function nameIndex(value: unknown, names: readonly string[]): number | undefined {
  if (typeof value !== 'string' || toNumber(value) !== undefined) return undefined;
  const lower = value.trim().toLowerCase();
  const index = names.findIndex((name) => name.toLowerCase() === lower || name.slice(0, 3).toLowerCase() === lower);
  if (index < 0) throw new ImlFunctionFailure(`${describe(value)} is not a valid name.`);
  return names === MONTHS ? index + 1 : index;
}

const DIFFERENCE_UNITS: Record<string, number> = {
  milliseconds: 1,
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
  weeks: 604_800_000,
};

export const dateFunctions: FunctionTable = {
  formatDate: (args, state) => {
    const date = dateArg(args, state);
    const format = args[1] === undefined || args[1] === null ? 'YYYY-MM-DDTHH:mm:ss.SSSZ' : text(args, 1);
    return formatDate(date, format, zoneOf(args, 2, state));
  },
  parseDate: (args, state) => {
    atLeast(args, 1);
    const source = text(args, 0);
    const zone = zoneOf(args, 2, state);
    const format = args[1] === undefined || args[1] === null || args[1] === '' ? undefined : text(args, 1);
    const date = format ? parseDateWithFormat(source.trim(), format, zone, state.env.now) : parseDateText(source, zone);
    if (!date || !Number.isFinite(date.getTime())) {
      throw new ImlFunctionFailure(
        `${describe(args[0])} is not a valid date${format ? ` for the format '${format}'` : ''}.`,
      );
    }
    return date;
  },
  addSeconds: add('ms', 1000),
  addMinutes: add('ms', 60_000),
  addHours: add('ms', 3_600_000),
  addDays: add('date'),
  addMonths: add('month'),
  addYears: add('year'),
  setSecond: set('second'),
  setMinute: set('minute'),
  setHour: set('hour'),
  setDate: set('date'),
  setMonth: set('month', MONTHS),
  setYear: set('year'),
  setDay: (args, state) => {
    const date = dateArg(args, state);
    const named = nameIndex(args[1], WEEKDAYS);
    const target = named === undefined ? Math.trunc(number(args, 1, 'day')) - 1 : named; // Sunday = 1 → 0
    const w = wallClock(date, state.env.timezone);
    return withField(date, state.env.timezone, 'date', target - w.weekday, true);
  },
  dateDifference: (args, state) => {
    atLeast(args, 2);
    const a = requireDate(args[0], state.env.timezone);
    const b = requireDate(args[1], state.env.timezone);
    const unit = args[2] === undefined ? 'milliseconds' : toText(args[2]).toLowerCase();
    if (unit === 'months') {
      const x = wallClock(a, 'UTC');
      const y = wallClock(b, 'UTC');
      return (x.year - y.year) * 12 + (x.month - y.month);
    }
    const divisor = DIFFERENCE_UNITS[unit];
    if (divisor === undefined) throw new ImlFunctionFailure(`${describe(args[2])} is not a valid unit.`);
    return Math.trunc((a.getTime() - b.getTime()) / divisor);
  },
};
