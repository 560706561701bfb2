/** Calendar arithmetic for the date tokens: names, ordinals, day of year, locale and ISO weeks. */
import { utcMs } from './zone';

export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function ordinal(n: number): string {
  const tens = Math.abs(n) % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][Math.abs(n) % 10] ?? 'th');
  return `${n}${suffix}`;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 30;
}

export function dayOfYear(year: number, month: number, day: number): number {
  return Math.round((utcMs(year, month - 1, day) - utcMs(year, 0, 1)) / 86_400_000) + 1;
}

function weekdayOf(year: number, month0: number, day: number): number {
  return new Date(utcMs(year, month0, day)).getUTCDay();
}

/** Moment's week arithmetic: `dow` the first day of the week, `doy` fixes which week is the first. */
function firstWeekOffset(year: number, dow: number, doy: number): number {
  const fwd = 7 + dow - doy;
  const fwdlw = (7 + weekdayOf(year, 0, fwd) - dow) % 7;
  return -fwdlw + fwd - 1;
}

function weeksInYear(year: number, dow: number, doy: number): number {
  const days = isLeapYear(year) ? 366 : 365;
  return (days - firstWeekOffset(year, dow, doy) + firstWeekOffset(year + 1, dow, doy)) / 7;
}

export function weekOfYear(
  year: number,
  month: number,
  day: number,
  dow: number,
  doy: number,
): { week: number; year: number } {
  const offset = firstWeekOffset(year, dow, doy);
  const week = Math.floor((dayOfYear(year, month, day) - offset - 1) / 7) + 1;
  if (week < 1) return { week: week + weeksInYear(year - 1, dow, doy), year: year - 1 };
  const weeks = weeksInYear(year, dow, doy);
  if (week > weeks) return { week: week - weeks, year: year + 1 };
  return { week, year };
}

/** The ISO week (Monday first, the week of 4 January is week 1). */
export function isoWeek(year: number, month: number, day: number): { week: number; year: number } {
  return weekOfYear(year, month, day, 1, 4);
}

/** The English locale's week (Sunday first, the week of 1 January is week 1), as Moment's default. */
export function localeWeek(year: number, month: number, day: number): { week: number; year: number } {
  return weekOfYear(year, month, day, 0, 6);
}

/** The date (y, m, d) of ISO week `week`, weekday `isoWeekday` (1 = Monday) of ISO year `year`. */
export function fromIsoWeek(
  year: number,
  week: number,
  isoWeekday: number,
): { year: number; month: number; day: number } {
  const jan4 = weekdayOf(year, 0, 4) || 7;
  const ms = utcMs(year, 0, 4 - (jan4 - 1) + (week - 1) * 7 + (isoWeekday - 1));
  const date = new Date(ms);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}
