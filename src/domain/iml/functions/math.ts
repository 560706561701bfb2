/** Math functions (reference §3.2). */
import { ImlFunctionFailure } from '../errors';
import { describe, requireNumber, toText } from '../values';
import { number, optionalNumber, spread, text } from './args';
import type { FunctionTable } from './types';

function numbers(args: unknown[]): number[] {
  return spread(args)
    .filter((value) => value !== '')
    .map((value) => requireNumber(value));
}

function roundTo(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  // Half away from zero, without 1.005 → 1.00 (binary fractions): round the scaled value's text.
  return (Math.sign(value) * Math.round(Number((Math.abs(value) * factor).toPrecision(15)))) / factor;
}

function stdev(args: unknown[], sample: boolean): number | null {
  const values = numbers(args);
  const n = values.length;
  if (n === 0 || (sample && n === 1)) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const squares = values.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  return Math.sqrt(squares / (sample ? n - 1 : n));
}

/** Groups of three digits joined with `separator`. */
function groupThousands(digits: string, separator: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

export const mathFunctions: FunctionTable = {
  abs: (args) => Math.abs(number(args, 0)),
  ceil: (args) => Math.ceil(number(args, 0)),
  floor: (args) => Math.floor(number(args, 0)),
  round: (args) => Math.round(number(args, 0)),
  trunc: (args) => {
    const value = number(args, 0);
    const decimals = Math.max(0, Math.trunc(optionalNumber(args, 1, 0)));
    const factor = 10 ** decimals;
    return Math.trunc(Number((value * factor).toPrecision(15))) / factor;
  },
  sum: (args) => numbers(args).reduce((a, b) => a + b, 0),
  average: (args) => {
    const values = numbers(args);
    return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
  },
  max: (args) => {
    const values = numbers(args);
    return values.length === 0 ? null : Math.max(...values);
  },
  min: (args) => {
    const values = numbers(args);
    return values.length === 0 ? null : Math.min(...values);
  },
  median: (args) => {
    const values = numbers(args).sort((a, b) => a - b);
    if (values.length === 0) return null;
    const middle = Math.floor(values.length / 2);
    return values.length % 2 ? values[middle] : ((values[middle - 1] as number) + (values[middle] as number)) / 2;
  },
  stdevS: (args) => stdev(args, true),
  stdevP: (args) => stdev(args, false),
  parseNumber: (args) => {
    if (typeof args[0] === 'number') return args[0];
    const source = text(args, 0);
    const decimal = args[1] === undefined || args[1] === null || args[1] === '' ? '.' : toText(args[1]);
    const negative = /^\s*-/.test(source);
    let digits = '';
    let seenDecimal = false;
    for (let i = 0; i < source.length; i++) {
      const c = source[i] as string;
      if (/\d/.test(c)) digits += c;
      else if (!seenDecimal && source.startsWith(decimal, i)) {
        digits += '.';
        seenDecimal = true;
        i += decimal.length - 1;
      }
    }
    if (!/\d/.test(digits)) throw new ImlFunctionFailure(`${describe(args[0])} is not a valid number.`);
    return (negative ? -1 : 1) * Number(digits);
  },
  formatNumber: (args) => {
    const value = number(args, 0);
    const decimals = Math.min(20, Math.max(0, Math.trunc(optionalNumber(args, 1, 0))));
    const decimal = args[2] === undefined || args[2] === null || args[2] === '' ? ',' : toText(args[2]);
    const thousands = args[3] === undefined || args[3] === null ? '.' : toText(args[3]);
    const fixed = Math.abs(roundTo(value, decimals)).toFixed(decimals);
    const [whole = '0', fraction] = fixed.split('.');
    const sign = value < 0 && Number(fixed) !== 0 ? '-' : '';
    return `${sign}${groupThousands(whole, thousands)}${fraction ? decimal + fraction : ''}`;
  },
};
