/**
 * Reading dates: `parseDate(text; format; [zone])` with Moment's parsing tokens
 * (help.make.com/tokens-for-datetime-parsing), forgiving as Moment's non-strict mode is about
 * separators; and the text Make coerces to a date where one is expected (reference §4).
 */
import { daysInMonth, fromIsoWeek, MONTHS, WEEKDAYS } from './calendar';
import { tokenizeFormat } from './tokens';
import { fromWallClock, utcMs, wallClock } from './zone';

interface Fields {
  year?: number;
  month?: number;
  day?: number;
  dayOfYear?: number;
  hour?: number;
  minute?: number;
  second?: number;
  millisecond?: number;
  pm?: boolean;
  offsetMinutes?: number;
  epochMs?: number;
  isoYear?: number;
  isoWeek?: number;
  isoWeekday?: number;
}

const numeric: Record<string, RegExp> = {
  YYYY: /^[+-]?\d{1,4}/,
  YY: /^\d{2}/,
  Y: /^[+-]?\d+/,
  Q: /^[1-4]/,
  M: /^\d{1,2}/,
  MM: /^\d{1,2}/,
  D: /^\d{1,2}/,
  DD: /^\d{1,2}/,
  Do: /^\d{1,2}(?:st|nd|rd|th)?/i,
  DDD: /^\d{1,3}/,
  DDDD: /^\d{1,3}/,
  X: /^-?\d+(?:\.\d+)?/,
  x: /^-?\d+/,
  GGGG: /^\d{1,4}/,
  GG: /^\d{2}/,
  W: /^\d{1,2}/,
  WW: /^\d{1,2}/,
  E: /^[1-7]/,
  H: /^\d{1,2}/,
  HH: /^\d{1,2}/,
  h: /^\d{1,2}/,
  hh: /^\d{1,2}/,
  k: /^\d{1,2}/,
  kk: /^\d{1,2}/,
  m: /^\d{1,2}/,
  mm: /^\d{1,2}/,
  s: /^\d{1,2}/,
  ss: /^\d{1,2}/,
};

function twoDigitYear(n: number): number {
  return n + (n > 68 ? 1900 : 2000);
}

function matchName(text: string, names: readonly string[]): { index: number; length: number } | undefined {
  const lower = text.toLowerCase();
  for (let i = 0; i < names.length; i++) {
    const name = (names[i] as string).toLowerCase();
    if (lower.startsWith(name)) return { index: i, length: name.length };
  }
  for (let i = 0; i < names.length; i++) {
    const short = (names[i] as string).slice(0, 3).toLowerCase();
    if (lower.startsWith(short)) return { index: i, length: 3 };
  }
  return undefined;
}

/** Reads one token at the start of `text`; the length read, or undefined when it does not match. */
function readToken(token: string, text: string, f: Fields): number | undefined {
  if (token === 'MMM' || token === 'MMMM') {
    const found = matchName(text, MONTHS);
    if (!found) return undefined;
    f.month = found.index + 1;
    return found.length;
  }
  if (token === 'ddd' || token === 'dddd' || token === 'dd') {
    const found = matchName(text, WEEKDAYS);
    return found?.length;
  }
  if (token === 'a' || token === 'A') {
    const match = /^([ap])\.?(m\.?)?/i.exec(text);
    if (!match) return undefined;
    f.pm = match[1]?.toLowerCase() === 'p';
    return match[0].length;
  }
  if (token === 'Z' || token === 'ZZ') {
    const match = /^(?:Z|([+-])(\d{2}):?(\d{2}))/i.exec(text);
    if (!match) return undefined;
    f.offsetMinutes = match[1] ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
    return match[0].length;
  }
  if (/^S+$/.test(token)) {
    const match = /^\d+/.exec(text);
    if (!match) return undefined;
    f.millisecond = Math.round(Number(`0.${match[0]}`) * 1000);
    return match[0].length;
  }
  const pattern = numeric[token];
  if (!pattern) return 0; // a token that sets nothing when read (w, e, gg …): skipped
  const match = pattern.exec(text);
  if (!match) return undefined;
  const n = parseFloat(match[0]);
  switch (token) {
    case 'YYYY':
      f.year = match[0].length <= 2 ? twoDigitYear(n) : n;
      break;
    case 'YY':
      f.year = twoDigitYear(n);
      break;
    case 'Y':
      f.year = n;
      break;
    case 'Q':
      f.month = (n - 1) * 3 + 1;
      break;
    case 'M':
    case 'MM':
      f.month = n;
      break;
    case 'D':
    case 'DD':
    case 'Do':
      f.day = n;
      break;
    case 'DDD':
    case 'DDDD':
      f.dayOfYear = n;
      break;
    case 'X':
      f.epochMs = Math.round(n * 1000);
      break;
    case 'x':
      f.epochMs = n;
      break;
    case 'GGGG':
      f.isoYear = n;
      break;
    case 'GG':
      f.isoYear = twoDigitYear(n);
      break;
    case 'W':
    case 'WW':
      f.isoWeek = n;
      break;
    case 'E':
      f.isoWeekday = n;
      break;
    case 'm':
    case 'mm':
      f.minute = n;
      break;
    case 's':
    case 'ss':
      f.second = n;
      break;
    default:
      f.hour = token.startsWith('k') && n === 24 ? 0 : n; // H, h, k
  }
  return match[0].length;
}

const isSeparator = (c: string): boolean => !/[\p{L}\p{N}]/u.test(c);

/** `text` read with `format` in `zone` (unless it carries its own offset); undefined when it does not fit. */
export function parseDateWithFormat(text: string, format: string, zone: string, now: Date): Date | undefined {
  const f: Fields = {};
  let pos = 0;
  let read = 0;
  for (const piece of tokenizeFormat(format)) {
    if ('literal' in piece) {
      for (const c of piece.literal) {
        if (text[pos] === c) pos++;
        else if (!isSeparator(c)) return undefined;
      }
      continue;
    }
    while (pos < text.length && isSeparator(text[pos] as string) && !/^[+-]/.test(text[pos] as string)) pos++;
    if (/^[ZX]/.test(piece.token) || piece.token === 'x') {
      while (pos < text.length && text[pos] === ' ') pos++;
    }
    const length = readToken(piece.token, text.slice(pos), f);
    if (length === undefined) return undefined;
    if (length > 0) read++;
    pos += length;
  }
  if (read === 0) return undefined;
  if (text.slice(pos).trim() !== '' && /[\p{N}]/u.test(text.slice(pos))) return undefined;
  if (f.epochMs !== undefined) return new Date(f.epochMs);
  return fromFields(f, zone, now);
}

function fromFields(f: Fields, zone: string, now: Date): Date | undefined {
  let { year, month, day } = f;
  if (f.isoYear !== undefined || f.isoWeek !== undefined) {
    const date = fromIsoWeek(f.isoYear ?? year ?? wallClock(now, zone).year, f.isoWeek ?? 1, f.isoWeekday ?? 1);
    ({ year, month, day } = date);
  }
  if (year === undefined && month === undefined && day === undefined && f.dayOfYear === undefined) {
    const today = wallClock(now, zone);
    ({ year, month, day } = today);
  }
  year ??= wallClock(now, zone).year;
  if (f.dayOfYear !== undefined) {
    const date = new Date(utcMs(year, 0, f.dayOfYear));
    month = date.getUTCMonth() + 1;
    day = date.getUTCDate();
  }
  month ??= 1;
  day ??= 1;
  let hour = f.hour ?? 0;
  if (f.pm !== undefined) {
    if (hour > 12) return undefined;
    hour = (hour % 12) + (f.pm ? 12 : 0);
  }
  const minute = f.minute ?? 0;
  const second = f.second ?? 0;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 24 || minute > 59 || second > 59) return undefined;
  if (f.offsetMinutes !== undefined) {
    return new Date(utcMs(year, month - 1, day, hour, minute, second, f.millisecond ?? 0) - f.offsetMinutes * 60_000);
  }
  return fromWallClock(zone, year, month - 1, day, hour, minute, second, f.millisecond ?? 0);
}

const TIME = String.raw`(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([AaPp]\.?[Mm]\.?)?)?`;
const ZONE = String.raw`\s*(Z|(?:GMT|UTC)?\s*[+-]\d{1,2}(?::?\d{2})?|GMT|UTC)?`;
const forms: { pattern: RegExp; order: 'ymd' | 'mdy' | 'dmy' }[] = [
  { pattern: new RegExp(String.raw`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})${TIME}${ZONE}$`, 'i'), order: 'ymd' },
  { pattern: new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4})${TIME}${ZONE}$`, 'i'), order: 'mdy' },
  { pattern: new RegExp(String.raw`^(\d{1,2})\.(\d{1,2})\.(\d{4})${TIME}${ZONE}$`, 'i'), order: 'dmy' },
];

function zoneMinutes(zone: string): number {
  const match = /([+-])(\d{1,2})(?::?(\d{2}))?/.exec(zone);
  if (!match) return 0; // Z, GMT, UTC
  return (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3] ?? 0));
}

/**
 * Text coerced to a date (reference §4): ISO 8601 and the other forms Make lists
 * (`2016-06-20 19:26:44 GMT+02:00`, `2016/06/20 5:26 PM`, `06/20/2016 17:26`,
 * `20.6.2016 19:26:44+02:00`); without a zone, the wall clock of `zone`.
 */
export function parseDateText(input: string, zone: string): Date | undefined {
  const text = input.trim();
  if (text === '') return undefined;
  for (const { pattern, order } of forms) {
    const m = pattern.exec(text);
    if (!m) continue;
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const [year, month, day] = order === 'ymd' ? [a, b, c] : order === 'mdy' ? [c, a, b] : [c, b, a];
    let hour = Number(m[4] ?? 0);
    const minute = Number(m[5] ?? 0);
    const second = Number(m[6] ?? 0);
    const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
    if (m[8]) {
      if (hour > 12) return undefined;
      hour = (hour % 12) + (/^p/i.test(m[8]) ? 12 : 0);
    }
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
    if (hour > 24 || minute > 59 || second > 59) return undefined;
    if (m[9] !== undefined) {
      return new Date(utcMs(year, month - 1, day, hour, minute, second, ms) - zoneMinutes(m[9]) * 60_000);
    }
    return fromWallClock(zone, year, month - 1, day, hour, minute, second, ms);
  }
  // Other text with an explicit zone (RFC 2822 and the like): the runtime's reading, which needs no local zone.
  if (/(?:\bGMT|\bUTC|Z|[+-]\d{2}:?\d{2})$/i.test(text) && /\d{4}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return new Date(ms);
  }
  return undefined;
}
