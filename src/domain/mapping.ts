/**
 * The mapping evaluator: Make's `{{<moduleId>.<path>}}` expressions inside mapper values.
 *
 * Evaluated by walking data, never with `eval` or `Function`. Rules (as Make's):
 * - a string that is exactly one expression keeps the value's type (object, array, number);
 * - text around expressions interpolates: strings as is, numbers and booleans as text,
 *   objects and arrays as JSON, a missing value as empty text;
 * - a whole-string expression that finds nothing leaves the field out (Make treats an empty
 *   field as not filled), in objects and arrays alike;
 * - paths: `1.a.b`, `` 1.`key with spaces` ``, `1.items[1]` (array indexes are 1-based, as
 *   everywhere in Make), `1.items[].name` (the `name` of every item, as an array);
 * - only own properties are read, so `{{1.constructor}}` finds nothing.
 * Function calls (`{{now}}`, `{{add(1.a; 2)}}`) are not supported yet: `findUnsupportedMappings`
 * lists them so blueprint validation can reject them.
 */

/** Output bundles of earlier modules, keyed by module id. */
export type MappingContext = Readonly<Record<string, unknown>>;

export type PathStep = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'each' };

export interface ModuleReference {
  moduleId: number;
  path: PathStep[];
}

type TemplatePart = { kind: 'text'; text: string } | { kind: 'expression'; source: string };

const expressionPattern = /\{\{([\s\S]*?)\}\}/g;

function splitTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of text.matchAll(expressionPattern)) {
    const start = match.index;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'expression', source: match[1] ?? '' });
    last = start + match[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/** Parses `1.a.b[2].`c d`` into a module id and steps; undefined when it is not a plain reference. */
export function parseReference(source: string): ModuleReference | undefined {
  const text = source.trim();
  const head = /^(\d+)/.exec(text);
  if (!head) return undefined;
  const moduleId = Number(head[1]);
  if (!Number.isSafeInteger(moduleId) || moduleId < 1) return undefined;
  const path: PathStep[] = [];
  let i = head[0].length;
  while (i < text.length) {
    const rest = text.slice(i);
    const quoted = /^\.`([^`]*)`/.exec(rest);
    const plain = /^\.([^.[\]`\s]+)/.exec(rest);
    const index = /^\[(\d*)\]/.exec(rest);
    if (quoted) {
      path.push({ kind: 'key', key: quoted[1] ?? '' });
      i += quoted[0].length;
    } else if (plain) {
      path.push({ kind: 'key', key: plain[1] ?? '' });
      i += plain[0].length;
    } else if (index) {
      const digits = index[1] ?? '';
      if (digits === '') path.push({ kind: 'each' });
      else if (Number(digits) >= 1) path.push({ kind: 'index', index: Number(digits) });
      else return undefined; // Make's indexes start at 1
      i += index[0].length;
    } else {
      return undefined;
    }
  }
  return { moduleId, path };
}

function ownValue(container: unknown, key: string): unknown {
  if (container === null || typeof container !== 'object') return undefined;
  return Object.prototype.hasOwnProperty.call(container, key) ? (container as Record<string, unknown>)[key] : undefined;
}

function followPath(value: unknown, steps: readonly PathStep[]): unknown {
  let current = value;
  for (let s = 0; s < steps.length; s++) {
    const step = steps[s] as PathStep;
    if (current === undefined || current === null) return undefined;
    if (step.kind === 'key') {
      current = ownValue(current, step.key);
    } else if (step.kind === 'index') {
      current = Array.isArray(current) ? current[step.index - 1] : undefined;
    } else {
      if (!Array.isArray(current)) return undefined;
      const rest = steps.slice(s + 1);
      return current.map((item) => followPath(item, rest)).filter((item) => item !== undefined);
    }
  }
  return current;
}

function resolveExpression(source: string, context: MappingContext): unknown {
  const reference = parseReference(source);
  if (!reference) return undefined;
  return followPath(ownValue(context, String(reference.moduleId)), reference.path);
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Evaluates one string: the value itself for a whole-string expression, else interpolated text. */
export function evaluateTemplate(text: string, context: MappingContext): unknown {
  const parts = splitTemplate(text);
  const only = parts[0];
  if (parts.length === 1 && only?.kind === 'expression') return resolveExpression(only.source, context);
  if (!parts.some((part) => part.kind === 'expression')) return text;
  return parts
    .map((part) => (part.kind === 'text' ? part.text : asText(resolveExpression(part.source, context))))
    .join('');
}

/** Evaluates every string inside `value` (objects and arrays are walked; other values kept). */
export function evaluateMapping(value: unknown, context: MappingContext): unknown {
  if (typeof value === 'string') return evaluateTemplate(value, context);
  if (Array.isArray(value)) {
    return value.map((item) => evaluateMapping(item, context)).filter((item) => item !== undefined);
  }
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const mapped = evaluateMapping(item, context);
      if (mapped !== undefined) result[key] = mapped;
    }
    return result;
  }
  return value;
}

export interface MappingLocation {
  /** Path inside the walked value, e.g. `['headers', 0, 'value']`. */
  path: (string | number)[];
  expression: string;
}

function walkExpressions(value: unknown, path: (string | number)[], visit: (location: MappingLocation) => void): void {
  if (typeof value === 'string') {
    for (const part of splitTemplate(value)) {
      if (part.kind === 'expression') visit({ path, expression: part.source });
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => walkExpressions(item, [...path, i], visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) walkExpressions(item, [...path, key], visit);
  }
}

/** Every module id that `value` maps from, ascending, once each. */
export function referencedModuleIds(value: unknown): number[] {
  const ids = new Set<number>();
  walkExpressions(value, [], ({ expression }) => {
    const reference = parseReference(expression);
    if (reference) ids.add(reference.moduleId);
  });
  return [...ids].sort((a, b) => a - b);
}

/** Each reference with where it sits, for validation messages that name the field. */
export function findReferences(value: unknown): (MappingLocation & { moduleId: number })[] {
  const found: (MappingLocation & { moduleId: number })[] = [];
  walkExpressions(value, [], (location) => {
    const reference = parseReference(location.expression);
    if (reference) found.push({ ...location, moduleId: reference.moduleId });
  });
  return found;
}

/** Expressions that are not plain `{{<moduleId>.<path>}}` references (functions, variables, …). */
export function findUnsupportedMappings(value: unknown): MappingLocation[] {
  const found: MappingLocation[] = [];
  walkExpressions(value, [], (location) => {
    if (!parseReference(location.expression)) found.push(location);
  });
  return found;
}

/** True when the string holds at least one `{{…}}` expression (its value is known only at run time). */
export function containsMapping(value: unknown): boolean {
  return typeof value === 'string' && splitTemplate(value).some((part) => part.kind === 'expression');
}
