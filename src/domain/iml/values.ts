/**
 * IML's values and Make's coercion rules (reference §4). Inside an evaluation a value is one of:
 * `undefined` (missing), `null`, text, number, boolean, `Date`, `Uint8Array` (a buffer), an
 * array or a collection (plain object). What leaves the evaluator is JSON-safe (`toOutput`).
 */
import { ImlFunctionFailure } from './errors';
import { parseDateText } from './dates/parse';

/** Make's empty value: missing, `null`, `""` (and, imex's reading, an empty array). */
export function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
}

export function isCollection(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array)
  );
}

/** Text, as Make maps a value into a text field. */
export function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.toISOString() : '';
  if (value instanceof Uint8Array) return utf8Decode(value);
  if (Array.isArray(value))
    return value.map((item) => (isCollection(item) ? JSON.stringify(item) : toText(item))).join(', ');
  return JSON.stringify(value);
}

/** A number, or undefined when the value is no number (text is parsed; a date is its milliseconds). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
    const number = Number(text);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/** A number, or a function failure naming the value. */
export function requireNumber(value: unknown, what = 'argument'): number {
  const number = toNumber(value);
  if (number === undefined) throw new ImlFunctionFailure(`${describe(value)} is not a valid number (${what}).`);
  return number;
}

/** Make's boolean coercion: any number is true (even 0); text "false" and "" are false. */
export function toBoolean(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value !== '' && value.toLowerCase() !== 'false';
  return true;
}

/** A date: a `Date`, milliseconds since the epoch, or text in one of the forms Make accepts. */
export function toDate(value: unknown, timezone: string): Date | undefined {
  // `7.value[].date` in a date argument: a single-value place takes the first item (reference §2.2).
  if (Array.isArray(value)) return value.length > 0 ? toDate(value[0], timezone) : undefined;
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value : undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? new Date(value) : undefined;
  if (typeof value === 'string') return parseDateText(value, timezone);
  return undefined;
}

export function requireDate(value: unknown, timezone: string): Date {
  const date = toDate(value, timezone);
  if (!date) throw new ImlFunctionFailure(`${describe(value)} is not a valid date.`);
  return date;
}

/** An array: arrays pass, empty is `[]`, anything else is `[value]` (Make's array coercion). */
export function toArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null) return [];
  return [value];
}

export function requireArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === undefined || value === null) return [];
  throw new ImlFunctionFailure(`${describe(value)} is not a valid array.`);
}

/** A value as errors quote it. */
export function describe(value: unknown): string {
  if (value === undefined) return 'Empty value';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}…` : value}'`;
  const text = toText(value);
  return `'${text.length > 60 ? `${text.slice(0, 60)}…` : text}'`;
}

/** What leaves the evaluator: dates as ISO text, buffers as text, no NaN. */
export function toOutput(value: unknown): unknown {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.toISOString() : null;
  if (value instanceof Uint8Array) return utf8Decode(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value) && value.some((item) => item instanceof Date || item instanceof Uint8Array)) {
    return value.map(toOutput);
  }
  return value;
}

/** Equality for `=`, `switch`, `contains`, `remove`, `deduplicate`: numbers and dates by value, text as text. */
export function looseEquals(a: unknown, b: unknown): boolean {
  const aEmpty = a === undefined || a === null;
  const bEmpty = b === undefined || b === null;
  if (aEmpty || bEmpty) return (aEmpty || a === '') && (bEmpty || b === '');
  if (typeof a === 'number' || typeof b === 'number') {
    const x = toNumber(a);
    const y = toNumber(b);
    if (x !== undefined && y !== undefined) return x === y;
  }
  if (a instanceof Date || b instanceof Date) {
    const x = a instanceof Date ? a.getTime() : toDate(a, 'UTC')?.getTime();
    const y = b instanceof Date ? b.getTime() : toDate(b, 'UTC')?.getTime();
    return x !== undefined && x === y;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return toText(a) === toText(b);
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

export function utf8Encode(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const char of text) {
    let code = char.codePointAt(0) as number;
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
  }
  return Uint8Array.from(bytes);
}

export function utf8Decode(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xf0 && b < 0xf8 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : -1;
    if (need < 0 || i + need >= bytes.length) {
      text += '\ufffd';
      i++;
      continue;
    }
    let code = need === 0 ? b : b & (0x3f >> need);
    let ok = true;
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k] as number;
      if ((next & 0xc0) !== 0x80) ok = false;
      code = (code << 6) | (next & 63);
    }
    if (!ok) {
      text += '\ufffd';
      i++;
      continue;
    }
    text += String.fromCodePoint(code > 0x10ffff ? 0xfffd : code);
    i += need + 1;
  }
  return text;
}
