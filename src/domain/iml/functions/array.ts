/** Array functions (reference §3.5). Positions in `slice` are 0-based; `get` is 1-based (general.ts). */
import { ImlFunctionFailure } from '../errors';
import { followPath, parseDotPath } from '../path';
import { boundedItems, charge } from '../state';
import { describe, isCollection, looseEquals, requireArray, toArray, toNumber, toText } from '../values';
import { collection, optionalNumber, spread, text } from './args';
import type { FunctionTable } from './types';

function valueAt(item: unknown, key: string | undefined): unknown {
  return key === undefined ? item : followPath(item, parseDotPath(key));
}

/** Items once each, the first kept; equality by value (collections by their JSON). */
function unique(items: unknown[], key?: string): unknown[] {
  const seen = new Set<string>();
  const result: unknown[] = [];
  for (const item of items) {
    const value = valueAt(item, key);
    const id =
      typeof value === 'number'
        ? `n:${value}`
        : typeof value === 'string'
          ? `s:${value}`
          : `j:${JSON.stringify(value ?? null)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    result.push(item);
  }
  return result;
}

const ORDERS = new Set(['asc', 'desc', 'asc ci', 'desc ci']);

function compareForSort(a: unknown, b: unknown, caseInsensitive: boolean): number {
  const x = toNumber(a);
  const y = toNumber(b);
  if (typeof a === 'number' || typeof b === 'number' || (x !== undefined && y !== undefined)) {
    if (x !== undefined && y !== undefined) return x - y;
    return x !== undefined ? -1 : y !== undefined ? 1 : 0; // numbers before the rest
  }
  const s = toText(a);
  const t = toText(b);
  if (caseInsensitive) {
    const lower = s.toLowerCase() < t.toLowerCase() ? -1 : s.toLowerCase() > t.toLowerCase() ? 1 : 0;
    if (lower !== 0) return lower;
  }
  return s < t ? -1 : s > t ? 1 : 0;
}

function flattenTo(items: unknown[], depth: number, out: unknown[]): unknown[] {
  for (const item of items) {
    if (Array.isArray(item) && depth > 0) flattenTo(item, depth - 1, out);
    else out.push(item);
  }
  return out;
}

export const arrayFunctions: FunctionTable = {
  add: (args, state) => boundedItems([...requireArray(args[0]), ...args.slice(1)], state),
  merge: (args, state) => boundedItems(spread(args), state),
  deduplicate: (args, state) => unique(boundedItems([...requireArray(args[0])], state)),
  distinct: (args, state) =>
    unique(boundedItems([...requireArray(args[0])], state), args[1] === undefined ? undefined : text(args, 1)),
  first: (args) => requireArray(args[0])[0],
  last: (args) => {
    const items = requireArray(args[0]);
    return items[items.length - 1];
  },
  flatten: (args, state) => {
    const depth = Math.max(0, Math.min(100, Math.trunc(optionalNumber(args, 1, 1))));
    return boundedItems(flattenTo(requireArray(args[0]), depth, []), state);
  },
  join: (args, state) => {
    const items = boundedItems(requireArray(args[0]), state);
    const separator = args[1] === undefined ? ',' : text(args, 1);
    return items.map((item) => (isCollection(item) ? JSON.stringify(item) : toText(item))).join(separator);
  },
  keys: (args) => {
    const value = args[0];
    if (Array.isArray(value)) return value.map((_, i) => String(i));
    return Object.keys(collection(args, 0));
  },
  map: (args, state) => {
    const items = boundedItems(requireArray(args[0]), state);
    const key = text(args, 1);
    const filterKey = args[2] === undefined || args[2] === null || args[2] === '' ? undefined : text(args, 2);
    // Filter values: `work,home` in one argument (help) or one per argument (older form).
    const wanted = spread(args.slice(3)).flatMap((value) =>
      typeof value === 'string' ? value.split(',').map((part) => part.trim()) : [value],
    );
    const result: unknown[] = [];
    for (const item of items) {
      if (filterKey !== undefined && !wanted.some((w) => looseEquals(valueAt(item, filterKey), w))) continue;
      const value = valueAt(item, key);
      if (value !== undefined) result.push(value);
    }
    return result;
  },
  remove: (args) => {
    const unwanted = args.slice(1);
    return requireArray(args[0]).filter((item) => !unwanted.some((value) => looseEquals(item, value)));
  },
  reverse: (args) => [...requireArray(args[0])].reverse(),
  shuffle: (args, state) => {
    const items = [...requireArray(args[0])];
    charge(state, items.length);
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(state.env.random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  },
  slice: (args) => {
    const items = requireArray(args[0]);
    const start = Math.trunc(optionalNumber(args, 1, 0));
    return args[2] === undefined || args[2] === null
      ? items.slice(start)
      : items.slice(start, Math.trunc(optionalNumber(args, 2, items.length)));
  },
  sort: (args, state) => {
    const items = [...requireArray(args[0])];
    charge(state, items.length * Math.max(1, Math.ceil(Math.log2(items.length + 1))));
    let order = 'asc';
    let key: string | undefined;
    const second = args[1] === undefined || args[1] === null ? '' : text(args, 1).trim().toLowerCase();
    if (ORDERS.has(second) || second === '') {
      order = second || 'asc';
      key = args[2] === undefined || args[2] === null || args[2] === '' ? undefined : text(args, 2);
    } else {
      key = text(args, 1); // `sort(Contacts[]; name)`: a key without an order
    }
    const caseInsensitive = order.endsWith(' ci');
    const sign = order.startsWith('desc') ? -1 : 1;
    return items.sort((a, b) => sign * compareForSort(valueAt(a, key), valueAt(b, key), caseInsensitive));
  },
  toArray: (args) => {
    const value = args[0];
    if (Array.isArray(value)) return value;
    if (!isCollection(value)) return toArray(value);
    return Object.entries(value).map(([key, item]) => ({ key, value: item }));
  },
  toCollection: (args) => {
    const items = requireArray(args[0]);
    const keyField = text(args, 1);
    const valueField = text(args, 2);
    const result: Record<string, unknown> = {};
    for (const item of items) {
      const key = valueAt(item, keyField);
      if (key === undefined || key === null) continue;
      const name = toText(key);
      if (name === '__proto__') throw new ImlFunctionFailure(`${describe(key)} is not a valid key.`);
      result[name] = valueAt(item, valueField);
    }
    return result;
  },
  arrayDifference: (args) => {
    const a = requireArray(args[0]);
    const b = requireArray(args[1]);
    const mode = args[2] === undefined ? 'classic' : text(args, 2).toLowerCase();
    const onlyA = a.filter((x) => !b.some((y) => looseEquals(x, y)));
    if (mode === 'classic') return onlyA;
    if (mode === 'symmetric') return [...onlyA, ...b.filter((y) => !a.some((x) => looseEquals(x, y)))];
    throw new ImlFunctionFailure(`${describe(args[2])} is not a valid mode (classic or symmetric).`);
  },
};
