/**
 * Checks of JSON input that give zod's verdicts and zod's messages, without zod: for workflow
 * code, where zod is too heavy (the SDK evaluates the workflow bundle again for every cached
 * workflow). They only judge (no output, no defaults); the code that stores the input parses it
 * with the zod schema afterwards.
 *
 * Each check mirrors one zod v4 construct as imex's schemas use it (test/unit/domain/
 * incomplete-execution-requests.test.ts compares them on many inputs). `aborts` is zod's notion:
 * a type error stops what follows, a failed check (too small, too big) does not; a union reports
 * the one option that failed without aborting, else "Invalid input".
 */

export type CheckPath = (string | number)[];

export interface CheckIssue {
  path: CheckPath;
  message: string;
  aborts: boolean;
}

export type Check = (value: unknown) => CheckIssue[];

const ok: CheckIssue[] = [];

function issue(message: string, aborts = true, path: CheckPath = []): CheckIssue {
  return { path, message, aborts };
}

/** zod's name for what it received. */
function received(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function invalidType(expected: string, value: unknown): CheckIssue[] {
  return [issue(`Invalid input: expected ${expected}, received ${received(value)}`)];
}

function prefixed(key: string | number, issues: CheckIssue[]): CheckIssue[] {
  return issues.map((i) => ({ ...i, path: [key, ...i.path] }));
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const unknownValue: Check = () => ok;

export const booleanValue: Check = (value) => (typeof value === 'boolean' ? ok : invalidType('boolean', value));

/** `z.number()` / `z.int()` with `.min()`, `.positive()` (gt 0) and `.max()`, in that order. */
export function numberValue(rules: { int?: boolean; min?: number; gt?: number; max?: number } = {}): Check {
  return (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return invalidType('number', value);
    const issues: CheckIssue[] = [];
    if (rules.int) {
      if (!Number.isInteger(value)) return [issue('Invalid input: expected int, received number')];
      if (value > Number.MAX_SAFE_INTEGER)
        issues.push(issue(`Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`, false));
      if (value < Number.MIN_SAFE_INTEGER)
        issues.push(issue(`Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`, false));
    }
    if (rules.min !== undefined && value < rules.min)
      issues.push(issue(`Too small: expected number to be >=${rules.min}`, false));
    if (rules.gt !== undefined && value <= rules.gt)
      issues.push(issue(`Too small: expected number to be >${rules.gt}`, false));
    if (rules.max !== undefined && value > rules.max)
      issues.push(issue(`Too big: expected number to be <=${rules.max}`, false));
    return issues;
  };
}

interface SizeRules {
  min?: number;
  /** Replaces zod's message for `min`. */
  minMessage?: string;
  max?: number;
}

/**
 * zod's `.min()` / `.max()` on a length: they run whenever the value has one, also after a type
 * error (`z.string().min(1)` given `[]` says both that it is not a string and that it is too short).
 */
function sizeIssues(value: unknown, rules: SizeRules): CheckIssue[] {
  if (value === null || value === undefined) return ok;
  const length = (value as { length?: unknown }).length;
  if (length === undefined) return ok;
  const origin = Array.isArray(value) ? 'array' : typeof value === 'string' ? 'string' : 'unknown';
  const unit = origin === 'array' ? ' items' : origin === 'string' ? ' characters' : '';
  const verb = origin === 'unknown' ? 'to be' : 'to have';
  const issues: CheckIssue[] = [];
  if (rules.min !== undefined && (length as number) < rules.min)
    issues.push(issue(rules.minMessage ?? `Too small: expected ${origin} ${verb} >=${rules.min}${unit}`, false));
  if (rules.max !== undefined && (length as number) > rules.max)
    issues.push(issue(`Too big: expected ${origin} ${verb} <=${rules.max}${unit}`, false));
  return issues;
}

/** `z.string()` with `.min()`, `.max()` and `.regex()`; `message` replaces zod's for the type and `min`. */
export function stringValue(
  rules: { min?: number; max?: number; message?: string; pattern?: RegExp; patternMessage?: string } = {},
): Check {
  const sizes = { min: rules.min, max: rules.max, minMessage: rules.message };
  return (value) => {
    if (typeof value !== 'string') {
      return [...(rules.message ? [issue(rules.message)] : invalidType('string', value)), ...sizeIssues(value, sizes)];
    }
    const issues = sizeIssues(value, sizes);
    if (rules.pattern && !rules.pattern.test(value))
      issues.push(issue(rules.patternMessage ?? `Invalid string: must match pattern ${rules.pattern}`, false));
    return issues;
  };
}

export function literalValue(expected: string): Check {
  return (value) => (value === expected ? ok : [issue(`Invalid input: expected "${expected}"`)]);
}

export function enumValue(values: readonly string[]): Check {
  const message = `Invalid option: expected one of ${values.map((v) => `"${v}"`).join('|')}`;
  return (value) => (typeof value === 'string' && values.includes(value) ? ok : [issue(message)]);
}

/** `z.custom(predicate, message)`. */
export function customValue(predicate: (value: unknown) => boolean, message: string): Check {
  return (value) => (predicate(value) ? ok : [issue(message)]);
}

/** `.optional()`, and `.default()` (a default is not checked). */
export function optional(check: Check): Check {
  return (value) => (value === undefined ? ok : check(value));
}

export function nullable(check: Check): Check {
  return (value) => (value === null ? ok : check(value));
}

/** `z.preprocess(fn, schema)`. */
export function preprocessed(transform: (value: unknown) => unknown, check: Check): Check {
  return (value) => check(transform(value));
}

/** `z.array(element)` with `.max()` (checked before the elements, as zod does) and `.min()`. */
export function arrayOf(element: Check, rules: SizeRules = {}): Check {
  return (value) => {
    if (!Array.isArray(value)) return [...invalidType('array', value), ...sizeIssues(value, rules)];
    if (rules.max !== undefined && value.length > rules.max)
      return [issue(`Too big: expected array to have <=${rules.max} items`)];
    const issues = value.flatMap((item, i) => prefixed(i, element(item)));
    // zod skips `min` after an element's explicit abort; imex's `min(1)` only fails on an empty array.
    issues.push(...sizeIssues(value, { min: rules.min, minMessage: rules.minMessage }));
    return issues;
  };
}

function unrecognized(keys: string[]): CheckIssue[] {
  if (keys.length === 0) return ok;
  return [issue(`Unrecognized key${keys.length > 1 ? 's' : ''}: ${keys.map((k) => `"${k}"`).join(', ')}`)];
}

/**
 * `z.looseObject(shape)` or `z.strictObject(shape)`; `refine` is a `.superRefine()`, which zod
 * runs only when nothing before it aborted.
 */
export function objectOf(
  shape: Record<string, Check>,
  mode: 'loose' | 'strict',
  refine?: (value: Record<string, unknown>) => CheckIssue[],
): Check {
  const keys = Object.keys(shape);
  return (value) => {
    if (!isJsonObject(value)) return invalidType('object', value);
    const issues = keys.flatMap((key) => prefixed(key, (shape[key] as Check)(value[key])));
    if (mode === 'strict') issues.push(...unrecognized(Object.keys(value).filter((k) => !keys.includes(k))));
    if (refine && !issues.some((i) => i.aborts)) issues.push(...refine(value));
    return issues;
  };
}

/** `z.record(key, value)`: a key that fails is "Invalid key in record" (its value is not checked). */
export function recordOf(value: Check, key?: Check): Check {
  return (input) => {
    if (!isJsonObject(input)) return invalidType('record', input);
    return Object.keys(input).flatMap((k) =>
      key && key(k).length > 0 ? [issue('Invalid key in record', true, [k])] : prefixed(k, value(input[k])),
    );
  };
}

/** `z.partialRecord(z.enum(keys), value)`: other keys are unrecognized. */
export function partialRecordOf(keys: readonly string[], value: Check): Check {
  return (input) => {
    if (!isJsonObject(input)) return invalidType('record', input);
    const present = Object.keys(input);
    const issues = present.filter((k) => keys.includes(k)).flatMap((k) => prefixed(k, value(input[k])));
    issues.push(...unrecognized(present.filter((k) => !keys.includes(k))));
    return issues;
  };
}

/** `z.union(options)`: the first that passes; else the one option that did not abort, else "Invalid input". */
export function unionOf(options: Check[]): Check {
  return (value) => {
    const results: CheckIssue[][] = [];
    for (const option of options) {
      const issues = option(value);
      if (issues.length === 0) return ok;
      results.push(issues);
    }
    const notAborted = results.filter((issues) => issues.every((i) => !i.aborts));
    if (notAborted.length === 1) return notAborted[0] as CheckIssue[];
    return [issue('Invalid input')];
  };
}

/** zod's way of showing issues in imex's rejections: `path: message; …` (`request` for the root). */
export function formatIssues(issues: CheckIssue[]): string {
  return issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
}
