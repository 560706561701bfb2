/**
 * The one check of user JSON's keys, wherever it enters imex (blueprints, bundles, run data,
 * webhook payloads). One linear, iterative walk: no recursion, so no depth can overflow the stack,
 * and paths are built only for what it reports.
 *
 * Why: a `__proto__` key turns into an object's prototype as soon as code copies it into a fresh
 * object (zod's records, spreads), so a PATCH could silently replace the bundles it meant to change;
 * a `{ "$imexBlob": … }` object would be taken for imex's own reference to a stored blob, possibly
 * another organization's. Stored user data is opaque JSON text, so other `$` keys are harmless in
 * storage; imex still refuses them in its own inputs (blueprints, bundles, run data), where no Make
 * export or module output has them and they could only be a mistake or a probe.
 */

/**
 * - `imex`: imex's own inputs. Refuses `__proto__`, `constructor`, `prototype` and every key that
 *   starts with `$`.
 * - `thirdParty`: payloads written by other services (webhooks), which may legitimately carry
 *   `$schema`, `$id` or a `constructor` field: refuses only `__proto__`, a `constructor` object
 *   holding `prototype` (prototype poisoning) and `$imexBlob` (imex's blob reference).
 */
export type JsonKeyPolicy = 'imex' | 'thirdParty';

/** Deeper nesting than this is refused: no real blueprint, bundle or payload comes near it. */
export const JSON_MAX_DEPTH = 256;

export interface ForbiddenJsonKey {
  /** Path to the key, e.g. `['1', 'value', '__proto__']`; for a too-deep value, path to it. */
  path: (string | number)[];
  message: string;
}

const prototypeKeys = new Set(['__proto__', 'constructor', 'prototype']);

function keyProblem(key: string, value: unknown, policy: JsonKeyPolicy): string | undefined {
  if (policy === 'imex') {
    if (prototypeKeys.has(key)) return `the key "${key}" is not allowed (it could replace an object's prototype)`;
    if (key.startsWith('$')) return `keys starting with "$" are not allowed ("${key}")`;
    return undefined;
  }
  if (key === '__proto__') return 'the key "__proto__" is not allowed (it could replace an object\'s prototype)';
  if (key === 'constructor' && isObject(value) && Object.prototype.hasOwnProperty.call(value, 'prototype')) {
    return 'a "constructor" object with a "prototype" key is not allowed (prototype poisoning)';
  }
  if (key === '$imexBlob') return 'the key "$imexBlob" is reserved for imex\'s references to stored data';
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

interface Visit {
  value: unknown;
  depth: number;
  /** Index into `steps` of how we got here (-1 for the root). */
  step: number;
}

/**
 * Every forbidden key in `value` (at most `limit`): an object's own keys in order, then what is
 * inside them. Linear in the size of the value; reads own enumerable properties only.
 */
export function findForbiddenJsonKeys(value: unknown, policy: JsonKeyPolicy, limit = 20): ForbiddenJsonKey[] {
  const found: ForbiddenJsonKey[] = [];
  // Each step remembers its parent, so a path is rebuilt only when something is reported.
  const steps: { parent: number; key: string | number }[] = [];
  const pathOf = (step: number): (string | number)[] => {
    const path: (string | number)[] = [];
    for (let s = step; s >= 0; s = (steps[s] as { parent: number }).parent)
      path.push((steps[s] as { key: string | number }).key);
    return path.reverse();
  };
  const stack: Visit[] = [{ value, depth: 0, step: -1 }];
  while (stack.length > 0 && found.length < limit) {
    const { value: current, depth, step } = stack.pop() as Visit;
    if (!isObject(current)) continue;
    if (depth >= JSON_MAX_DEPTH) {
      found.push({ path: pathOf(step), message: `is nested deeper than ${JSON_MAX_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) {
        const item: unknown = current[i];
        if (!isObject(item)) continue;
        steps.push({ parent: step, key: i });
        stack.push({ value: item, depth: depth + 1, step: steps.length - 1 });
      }
      continue;
    }
    // Problems are reported in key order; children are pushed in reverse so they pop in order.
    const children: Visit[] = [];
    for (const key of Object.keys(current)) {
      const item = current[key];
      const problem = keyProblem(key, item, policy);
      if (problem) {
        steps.push({ parent: step, key });
        found.push({ path: pathOf(steps.length - 1), message: problem });
        if (found.length >= limit) break;
      } else if (isObject(item)) {
        steps.push({ parent: step, key });
        children.push({ value: item, depth: depth + 1, step: steps.length - 1 });
      }
    }
    for (let c = children.length - 1; c >= 0; c--) stack.push(children[c] as Visit);
  }
  return found;
}
