/** Reading a function's arguments with Make's coercion; a bad one is the function's failure. */
import { ImlFunctionFailure } from '../errors';
import { describe, isCollection, requireNumber, toText } from '../values';

export function text(args: unknown[], i: number): string {
  return toText(args[i]);
}

export function number(args: unknown[], i: number, what?: string): number {
  return requireNumber(args[i], what ?? `argument ${i + 1}`);
}

export function optionalNumber(args: unknown[], i: number, fallback: number): number {
  const value = args[i];
  return value === undefined || value === null || value === '' ? fallback : requireNumber(value, `argument ${i + 1}`);
}

export function integer(args: unknown[], i: number, what?: string): number {
  return Math.trunc(number(args, i, what));
}

export function collection(args: unknown[], i: number): Record<string, unknown> {
  const value = args[i];
  if (value === undefined || value === null) return {};
  if (!isCollection(value)) throw new ImlFunctionFailure(`${describe(value)} is not a valid collection.`);
  return value;
}

export function atLeast(args: unknown[], count: number): void {
  if (args.length < count) {
    throw new ImlFunctionFailure(`Expected at least ${count} argument${count === 1 ? '' : 's'}, got ${args.length}.`);
  }
}

/** The values of `f(array)` or `f(v1; v2; …)`, arrays flattened one level. */
export function spread(args: unknown[]): unknown[] {
  return args.flatMap((arg) => (Array.isArray(arg) ? arg : arg === undefined || arg === null ? [] : [arg]));
}
