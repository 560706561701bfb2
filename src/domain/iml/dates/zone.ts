/**
 * Time zones through `Intl` (no zone database of our own): the offset of an IANA zone at an
 * instant, and a zone's wall-clock fields ↔ an instant. `Intl` is in the workflow sandbox too.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat | undefined {
  let formatter = formatters.get(zone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      return undefined;
    }
    if (formatters.size > 200) formatters.clear();
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Whether `zone` is an IANA zone name this runtime knows. */
export function isTimeZone(zone: unknown): zone is string {
  return typeof zone === 'string' && zone !== '' && formatterFor(zone) !== undefined;
}

const offsets = new Map<string, number>();

/**
 * The zone's offset from UTC at `ms`, in minutes (east positive). UTC for an unknown zone.
 * Cached per zone and minute (zones change offset on a minute boundary): `Intl` is the cost.
 */
export function zoneOffsetMinutes(zone: string, ms: number): number {
  if (zone === 'UTC' || zone === 'Etc/UTC' || !Number.isFinite(ms)) return 0;
  const key = `${zone}@${Math.floor(ms / 60_000)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    offset = offsetFromIntl(zone, ms);
    if (offsets.size >= 5000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

function offsetFromIntl(zone: string, ms: number): number {
  const formatter = formatterFor(zone);
  if (!formatter) return 0;
  const fields: Record<string, number> = {};
  let bc = false;
  for (const part of formatter.formatToParts(new Date(ms))) {
    if (part.type === 'era') bc = part.value.startsWith('B');
    else if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const year = bc ? 1 - (fields.year ?? 0) : (fields.year ?? 1970);
  const wall = utcMs(
    year,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  return Math.round((wall - (ms - (((ms % 1000) + 1000) % 1000))) / 60_000);
}

export interface WallClock {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** 0 = Sunday */
  weekday: number;
  offsetMinutes: number;
}

/** The wall clock of `zone` at `date`. */
export function wallClock(date: Date, zone: string): WallClock {
  const offsetMinutes = zoneOffsetMinutes(zone, date.getTime());
  const shifted = new Date(date.getTime() + offsetMinutes * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    millisecond: shifted.getUTCMilliseconds(),
    weekday: shifted.getUTCDay(),
    offsetMinutes,
  };
}

/** `Date.UTC` that takes years 0–99 literally. */
export function utcMs(year: number, month0: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(Date.UTC(2000, month0, day, hour, minute, second, ms));
  date.setUTCFullYear(year + (date.getUTCFullYear() - 2000));
  return date.getTime();
}

/** The instant at which `zone`'s wall clock shows these fields (fields may overflow: they roll over). */
export function fromWallClock(
  zone: string,
  year: number,
  month0: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): Date {
  const wall = utcMs(year, month0, day, hour, minute, second, ms);
  const first = wall - zoneOffsetMinutes(zone, wall) * 60_000;
  const second_ = wall - zoneOffsetMinutes(zone, first) * 60_000;
  return new Date(second_);
}
