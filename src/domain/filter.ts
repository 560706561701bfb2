/**
 * Make's filters: `filter: { name, conditions: [[ { a, o, b } ]] }` on a module (or on the first
 * module of a router's route). `conditions` is an OR of ANDs: the bundle passes when every
 * condition of at least one inner group holds. Both sides are mapped (`{{1.status}}`) before the
 * operator compares them. A filter with no conditions lets everything through, as Make's does.
 *
 * Operator names are Make's, as exports carry them (`text:equal`, `text:equal:ci`,
 * `number:greater`, `exist`, `array:contain`, …). Comparisons, as Make's:
 * - text: both sides as text (numbers and booleans as text, objects as JSON, nothing as "");
 *   `:ci` compares lower-cased; `text:pattern` is a regular expression;
 * - number and date: both sides converted; a side that is not a number (a date) fails the condition;
 * - `exist` / `notexist`: whether `a` holds a value (not missing, null or empty text);
 * - boolean: `true`, `"true"`, `1`, `"1"`, `"yes"` are true, everything else false;
 * - array: `array:contain` compares each item as text with `b`; the length operators
 *   (`array:equal`, `array:greater`, …) compare the array's length with `b`.
 * Pure: no I/O, so the workflow evaluates filters itself when the bundles are inline.
 * Both operands go through the same IML evaluator as mappers (src/domain/iml).
 */
import type { z } from 'zod';
import type { filterConditionSchema, filterSchema } from './schemas/filter';
import { evaluateMappingWith, type ImlEnvironment, type MappingContext } from './iml';

const textOperators = [
  'text:equal',
  'text:notequal',
  'text:contain',
  'text:notcontain',
  'text:startwith',
  'text:notstartwith',
  'text:endwith',
  'text:notendwith',
  'text:pattern',
  'text:notpattern',
] as const;
const comparisons = ['equal', 'notequal', 'greater', 'less', 'greaterorequal', 'lessorequal'] as const;

export const filterOperators = [
  'exist',
  'notexist',
  ...textOperators,
  ...textOperators.map((o) => `${o}:ci` as const),
  ...comparisons.map((c) => `number:${c}` as const),
  ...comparisons.map((c) => `date:${c}` as const),
  'boolean:equal',
  'boolean:notequal',
  'array:contain',
  'array:contain:ci',
  'array:notcontain',
  'array:notcontain:ci',
  ...comparisons.map((c) => `array:${c}` as const),
] as const;
export type FilterOperator = (typeof filterOperators)[number];

const knownOperators: ReadonlySet<string> = new Set(filterOperators);
export function isFilterOperator(value: unknown): value is FilterOperator {
  return typeof value === 'string' && knownOperators.has(value);
}

export type FilterCondition = z.output<typeof filterConditionSchema>;
export type Filter = z.output<typeof filterSchema>;

/** Whether a bundle (the context of the module the filter sits on) passes the filter. */
/**
 * Whether a bundle (the context of the module the filter sits on) passes the filter. Both
 * operands are IML; a function that fails throws `ImlMappingError` naming the operand.
 */
export function evaluateFilter(filter: Filter | undefined, context: MappingContext, env?: ImlEnvironment): boolean {
  if (!filter || filter.conditions.length === 0) return true;
  return filter.conditions.some((group, g) =>
    group.every((condition, c) => evaluateCondition(condition, context, env, `conditions.${g}.${c}`)),
  );
}

export function evaluateCondition(
  condition: FilterCondition,
  context: MappingContext,
  env?: ImlEnvironment,
  field = 'condition',
): boolean {
  const a = evaluateMappingWith(condition.a, context, env, `${field}.a`);
  const b = evaluateMappingWith(condition.b, context, env, `${field}.b`);
  return compare(condition.o, a, b);
}

/** Applies one operator to two already-mapped values. An unknown operator never passes. */
export function compare(operator: string, a: unknown, b: unknown): boolean {
  if (operator === 'exist') return exists(a);
  if (operator === 'notexist') return !exists(a);

  const [kind, name = '', ci] = operator.split(':');
  const caseInsensitive = ci === 'ci';
  if (ci !== undefined && (ci !== 'ci' || (kind !== 'text' && kind !== 'array'))) return false;
  switch (kind) {
    case 'text':
      return compareText(name, asText(a), asText(b), caseInsensitive);
    case 'number':
      return compareOrdered(name, toNumber(a), toNumber(b));
    case 'date':
      return compareOrdered(name, toTime(a), toTime(b));
    case 'boolean':
      if (name === 'equal') return toBoolean(a) === toBoolean(b);
      if (name === 'notequal') return toBoolean(a) !== toBoolean(b);
      return false;
    case 'array':
      return compareArray(name, toArray(a), b, caseInsensitive);
    default:
      return false;
  }
}

function compareText(name: string, a: string, b: string, caseInsensitive: boolean): boolean {
  const x = caseInsensitive ? a.toLowerCase() : a;
  const y = caseInsensitive ? b.toLowerCase() : b;
  switch (name) {
    case 'equal':
      return x === y;
    case 'notequal':
      return x !== y;
    case 'contain':
      return x.includes(y);
    case 'notcontain':
      return !x.includes(y);
    case 'startwith':
      return x.startsWith(y);
    case 'notstartwith':
      return !x.startsWith(y);
    case 'endwith':
      return x.endsWith(y);
    case 'notendwith':
      return !x.endsWith(y);
    case 'pattern':
    case 'notpattern': {
      const matches = matchesPattern(a, b, caseInsensitive);
      if (matches === undefined) return false; // not a valid pattern: the condition fails either way
      return name === 'pattern' ? matches : !matches;
    }
    default:
      return false;
  }
}

function matchesPattern(text: string, pattern: string, caseInsensitive: boolean): boolean | undefined {
  // Make accepts `/source/flags` as well as a bare source.
  const literal = /^\/([\s\S]*)\/([a-z]*)$/.exec(pattern);
  const source = literal ? (literal[1] ?? '') : pattern;
  let flags = literal ? (literal[2] ?? '').replace(/[^imsu]/g, '') : '';
  if (caseInsensitive && !flags.includes('i')) flags += 'i';
  try {
    return new RegExp(source, flags).test(text);
  } catch {
    return undefined;
  }
}

function compareOrdered(name: string, a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  switch (name) {
    case 'equal':
      return a === b;
    case 'notequal':
      return a !== b;
    case 'greater':
      return a > b;
    case 'less':
      return a < b;
    case 'greaterorequal':
      return a >= b;
    case 'lessorequal':
      return a <= b;
    default:
      return false;
  }
}

function compareArray(name: string, items: unknown[], b: unknown, caseInsensitive: boolean): boolean {
  if (name === 'contain' || name === 'notcontain') {
    const wanted = caseInsensitive ? asText(b).toLowerCase() : asText(b);
    const found = items.some((item) => (caseInsensitive ? asText(item).toLowerCase() : asText(item)) === wanted);
    return name === 'contain' ? found : !found;
  }
  return compareOrdered(name, items.length, toNumber(b));
}

function exists(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const number = Number(value.trim());
  return Number.isFinite(number) ? number : undefined;
}

function toTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const time = Date.parse(value.trim());
  return Number.isFinite(time) ? time : undefined;
}

function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return ['true', '1', 'yes'].includes(value.trim().toLowerCase());
  return false;
}

function toArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return exists(value) ? [value] : [];
}
