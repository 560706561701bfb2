/** General functions (reference §3.1). `if`, `ifempty` and `switch` evaluate lazily: evaluate.ts. */
import { ownValue, parseDotPath, type PathStep } from '../path';
import { isCollection, looseEquals, toText } from '../values';
import { collection, spread } from './args';
import type { FunctionTable } from './types';

/** `get`'s path: a number is a 1-based index, text a dot path whose digit keys index arrays. */
export function getPath(value: unknown, path: unknown): unknown {
  if (typeof path === 'number') return Array.isArray(value) ? value[path - 1] : ownValue(value, String(path));
  const steps: PathStep[] = parseDotPath(toText(path));
  let current = value;
  for (const step of steps) {
    if (current === undefined || current === null) return undefined;
    if (step.kind === 'index') current = Array.isArray(current) ? current[step.index - 1] : undefined;
    else if (step.kind === 'each') continue;
    else if (Array.isArray(current) && /^\d+$/.test(step.key)) current = current[Number(step.key) - 1];
    else current = ownValue(current, step.key);
  }
  return current;
}

function keyList(args: unknown[]): Set<string> {
  return new Set(spread(args.slice(1)).map((key) => toText(key)));
}

export const generalFunctions: FunctionTable = {
  get: (args) => getPath(args[0], args[1]),
  pick: (args) => {
    const source = collection(args, 0);
    const keys = keyList(args);
    const result: Record<string, unknown> = {};
    for (const key of keys) if (Object.prototype.hasOwnProperty.call(source, key)) result[key] = source[key];
    return result;
  },
  omit: (args) => {
    const source = collection(args, 0);
    const keys = keyList(args);
    const result: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(source)) if (!keys.has(key)) result[key] = value;
    return result;
  },
  equal: (args) => looseEquals(args[0], args[1]),
  mergeCollections: (args) => {
    const result: Record<string, unknown> = {};
    for (const arg of args) if (isCollection(arg)) Object.assign(result, arg);
    return result;
  },
};
