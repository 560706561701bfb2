/** `formatDate`: a date as text in a zone, with Moment's tokens (help.make.com/tokens-for-datetime-formatting). */
import { dayOfYear, isoWeek, localeWeek, MONTHS, ordinal, WEEKDAYS } from './calendar';
import { tokenizeFormat } from './tokens';
import { wallClock, type WallClock } from './zone';

const pad = (n: number, width: number): string => {
  const text = String(Math.abs(n)).padStart(width, '0');
  return n < 0 ? `-${text}` : text;
};

function offset(minutes: number, colon: boolean): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}${colon ? ':' : ''}${pad(abs % 60, 2)}`;
}

function formatToken(token: string, w: WallClock, date: Date): string {
  switch (token) {
    case 'YYYYYY':
      return (w.year < 0 ? '-' : '+') + pad(Math.abs(w.year), 6);
    case 'YYYY':
      return pad(w.year, 4);
    case 'YY':
      return pad(((w.year % 100) + 100) % 100, 2);
    case 'Y':
      return String(w.year);
    case 'Q':
      return String(Math.ceil(w.month / 3));
    case 'Qo':
      return ordinal(Math.ceil(w.month / 3));
    case 'M':
      return String(w.month);
    case 'Mo':
      return ordinal(w.month);
    case 'MM':
      return pad(w.month, 2);
    case 'MMM':
      return (MONTHS[w.month - 1] ?? '').slice(0, 3);
    case 'MMMM':
      return MONTHS[w.month - 1] ?? '';
    case 'D':
      return String(w.day);
    case 'Do':
      return ordinal(w.day);
    case 'DD':
      return pad(w.day, 2);
    case 'DDD':
      return String(dayOfYear(w.year, w.month, w.day));
    case 'DDDo':
      return ordinal(dayOfYear(w.year, w.month, w.day));
    case 'DDDD':
      return pad(dayOfYear(w.year, w.month, w.day), 3);
    case 'd':
    case 'e':
      return String(w.weekday);
    case 'do':
      return ordinal(w.weekday);
    case 'dd':
      return (WEEKDAYS[w.weekday] ?? '').slice(0, 2);
    case 'ddd':
      return (WEEKDAYS[w.weekday] ?? '').slice(0, 3);
    case 'dddd':
      return WEEKDAYS[w.weekday] ?? '';
    case 'E':
      return String(w.weekday === 0 ? 7 : w.weekday);
    case 'w':
      return String(localeWeek(w.year, w.month, w.day).week);
    case 'wo':
      return ordinal(localeWeek(w.year, w.month, w.day).week);
    case 'ww':
      return pad(localeWeek(w.year, w.month, w.day).week, 2);
    case 'W':
      return String(isoWeek(w.year, w.month, w.day).week);
    case 'Wo':
      return ordinal(isoWeek(w.year, w.month, w.day).week);
    case 'WW':
      return pad(isoWeek(w.year, w.month, w.day).week, 2);
    case 'gg':
      return pad(localeWeek(w.year, w.month, w.day).year % 100, 2);
    case 'gggg':
      return pad(localeWeek(w.year, w.month, w.day).year, 4);
    case 'GG':
      return pad(isoWeek(w.year, w.month, w.day).year % 100, 2);
    case 'GGGG':
      return pad(isoWeek(w.year, w.month, w.day).year, 4);
    case 'H':
      return String(w.hour);
    case 'HH':
      return pad(w.hour, 2);
    case 'h':
      return String(w.hour % 12 || 12);
    case 'hh':
      return pad(w.hour % 12 || 12, 2);
    case 'k':
      return String(w.hour || 24);
    case 'kk':
      return pad(w.hour || 24, 2);
    case 'A':
      return w.hour < 12 ? 'AM' : 'PM';
    case 'a':
      return w.hour < 12 ? 'am' : 'pm';
    case 'm':
      return String(w.minute);
    case 'mm':
      return pad(w.minute, 2);
    case 's':
      return String(w.second);
    case 'ss':
      return pad(w.second, 2);
    case 'Z':
      return offset(w.offsetMinutes, true);
    case 'ZZ':
      return offset(w.offsetMinutes, false);
    case 'X':
      return String(Math.floor(date.getTime() / 1000));
    case 'x':
      return String(date.getTime());
    default:
      // S … SSSSSSSSS: the fraction of a second, to that many digits.
      return pad(w.millisecond, 3).padEnd(token.length, '0').slice(0, token.length);
  }
}

export function formatDate(date: Date, format: string, zone: string): string {
  const w = wallClock(date, zone);
  let text = '';
  for (const piece of tokenizeFormat(format)) {
    text += 'literal' in piece ? piece.literal : formatToken(piece.token, w, date);
  }
  return text;
}
