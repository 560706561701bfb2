/**
 * Paths into bundles: `a.b`, `` `key with spaces` ``, `items[2]` (1-based, as everywhere in
 * Make), `items[]` (every item). Only own properties are read, so `constructor`, `__proto__` and
 * `length` find nothing.
 */
export type PathStep = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'each' };

export function ownValue(container: unknown, key: string): unknown {
  if (container === null || typeof container !== 'object' || container instanceof Date) return undefined;
  return Object.prototype.hasOwnProperty.call(container, key) ? (container as Record<string, unknown>)[key] : undefined;
}

export function followPath(value: unknown, steps: readonly PathStep[], from = 0): unknown {
  let current = value;
  for (let s = from; s < steps.length; s++) {
    const step = steps[s] as PathStep;
    if (current === undefined || current === null) return undefined;
    if (step.kind === 'key') {
      current = ownValue(current, step.key);
    } else if (step.kind === 'index') {
      current = Array.isArray(current) ? current[step.index - 1] : undefined;
    } else {
      if (!Array.isArray(current)) return undefined;
      if (s + 1 === steps.length) return current;
      return current.map((item) => followPath(item, steps, s + 1)).filter((item) => item !== undefined);
    }
  }
  return current;
}

const dotPaths = new Map<string, PathStep[]>();

/** `a.b[2]` → steps; used by `get`, `map`, `sort`, `distinct` (dot paths computed at run time). Cached: `map` reads one per item. */
export function parseDotPath(text: string): PathStep[] {
  let steps = dotPaths.get(text);
  if (!steps) {
    steps = readDotPath(text);
    if (dotPaths.size >= 1000) dotPaths.clear();
    dotPaths.set(text, steps);
  }
  return steps;
}

function readDotPath(text: string): PathStep[] {
  const steps: PathStep[] = [];
  for (const part of text.split('.')) {
    const match = /^([^[]*)((?:\[\d*\])*)$/.exec(part);
    if (!match) {
      steps.push({ kind: 'key', key: part });
      continue;
    }
    if (match[1]) steps.push({ kind: 'key', key: match[1] });
    for (const index of (match[2] ?? '').matchAll(/\[(\d*)\]/g)) {
      const digits = index[1] ?? '';
      steps.push(digits === '' ? { kind: 'each' } : { kind: 'index', index: Number(digits) });
    }
  }
  return steps;
}
