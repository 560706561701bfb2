/**
 * Make's data structures (`/data-structures`, "udt"): the typed fields a data store's records
 * hold, and the check every write goes through (the API's and the modules' alike).
 *
 * Field types are Make's item data types (reference make-iml.md §4): `text`, `number`, `boolean`,
 * `date`, `buffer`, `collection` (nested `spec`), `array` (items described by `spec`). A value is
 * coerced to its field's type as Make coerces mapped values:
 * - text: numbers and booleans as text, a collection as JSON, an array as its items' texts joined by ", ";
 * - number: a number, or text that parses as one;
 * - boolean: any number is true (even 0); text "false" and "" are false, other text true;
 * - date: ISO text (any text `Date` parses) or milliseconds since the epoch; stored as ISO 8601;
 * - buffer: text (numbers and booleans as text);
 * - collection: an object, checked against its nested spec;
 * - array: an array (each item checked against `spec`); any other value becomes `[value]`.
 * An empty value (missing, null, "") in a `required` field is refused; a missing field takes its
 * `default`. A `strict` structure refuses fields it does not declare; otherwise they are kept as is.
 *
 * Pure: no I/O, no zod (the spec's own schema is schemas/data-structure.ts).
 */

export const dataStructureFieldTypes = ['text', 'number', 'boolean', 'date', 'buffer', 'collection', 'array'] as const;
export type DataStructureFieldType = (typeof dataStructureFieldTypes)[number];

export interface DataStructureField {
  name: string;
  type: DataStructureFieldType;
  label?: string;
  required?: boolean;
  default?: unknown;
  /** `collection`: its fields. `array`: one field describing each item (or the items' fields). */
  spec?: DataStructureField[] | DataStructureField;
  multiline?: boolean;
}

export interface DataStructureSpec {
  spec: DataStructureField[];
  strict: boolean;
}

/** One reason a record does not fit its structure: the field's path and why. */
export interface RecordFieldError {
  path: string;
  message: string;
}

export type RecordCheck = { ok: true; data: Record<string, unknown> } | { ok: false; errors: RecordFieldError[] };

/**
 * Checks and coerces a record's `data` against its structure. `partial`: an update, where fields
 * not given stay as they are (required fields need not be present, defaults are not applied).
 * Without a structure the store is key-and-value only: any JSON object is accepted.
 */
export function checkRecordData(
  structure: DataStructureSpec | undefined,
  data: unknown,
  options: { partial?: boolean } = {},
): RecordCheck {
  if (!isObject(data)) return { ok: false, errors: [{ path: 'data', message: 'a record is an object of fields' }] };
  if (!structure) return { ok: true, data: { ...data } };
  const errors: RecordFieldError[] = [];
  const checked = checkFields(structure.spec, data, 'data', errors, {
    partial: options.partial ?? false,
    strict: structure.strict,
  });
  return errors.length ? { ok: false, errors } : { ok: true, data: checked };
}

function checkFields(
  fields: DataStructureField[],
  data: Record<string, unknown>,
  path: string,
  errors: RecordFieldError[],
  mode: { partial: boolean; strict: boolean },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const declared = new Set(fields.map((f) => f.name));
  for (const field of fields) {
    const fieldPath = `${path}.${field.name}`;
    const present = Object.prototype.hasOwnProperty.call(data, field.name);
    if (!present && mode.partial) continue;
    let value = present ? data[field.name] : undefined;
    if (value === undefined && field.default !== undefined && !mode.partial) value = field.default;
    if (isEmpty(value)) {
      if (field.required) errors.push({ path: fieldPath, message: 'required' });
      else if (present || value !== undefined) out[field.name] = null;
      continue;
    }
    const coerced = coerce(field, value, fieldPath, errors, mode);
    if (coerced !== undefined) out[field.name] = coerced;
  }
  for (const [key, value] of Object.entries(data)) {
    if (declared.has(key)) continue;
    if (mode.strict) errors.push({ path: `${path}.${key}`, message: 'not a field of the data structure (strict)' });
    else Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function coerce(
  field: DataStructureField,
  value: unknown,
  path: string,
  errors: RecordFieldError[],
  mode: { partial: boolean; strict: boolean },
): unknown {
  const fail = (message: string) => {
    errors.push({ path, message });
    return undefined;
  };
  switch (field.type) {
    case 'text':
      return asText(value);
    case 'number': {
      if (typeof value === 'number') return Number.isFinite(value) ? value : fail('not a finite number');
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value.trim()))) {
        return Number(value.trim());
      }
      return fail(`expected a number, got ${describe(value)}`);
    }
    case 'boolean':
      if (typeof value === 'string') return value !== 'false' && value !== '';
      return true; // Make: any number (even 0) and any other non-empty value is true
    case 'date': {
      const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (!Number.isFinite(ms)) return fail(`expected a date (ISO 8601 text or milliseconds), got ${describe(value)}`);
      return new Date(ms).toISOString();
    }
    case 'buffer':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return fail(`expected binary data as text, got ${describe(value)}`);
    case 'collection': {
      if (!isObject(value)) return fail(`expected a collection (an object), got ${describe(value)}`);
      const nested = Array.isArray(field.spec) ? field.spec : undefined;
      // Nested collections keep undeclared keys unless the structure is strict.
      return nested ? checkFields(nested, value, path, errors, { ...mode, partial: false }) : { ...value };
    }
    case 'array': {
      const items = Array.isArray(value) ? value : [value];
      const item = itemField(field);
      if (!item) return [...items];
      return items.map((v, i) =>
        isEmpty(v) ? null : coerce(item, v, `${path}[${i + 1}]`, errors, { ...mode, partial: false }),
      );
    }
  }
}

/** The description of an array's items: a field, or a list of fields (items are collections). */
function itemField(field: DataStructureField): DataStructureField | undefined {
  const spec = field.spec;
  if (!spec) return undefined;
  if (Array.isArray(spec)) return { name: field.name, type: 'collection', spec };
  return spec;
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => (isObject(v) ? JSON.stringify(v) : asText(v))).join(', ');
  return JSON.stringify(value);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return `text "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return typeof value === 'object' ? 'a collection' : `${typeof value} ${String(value)}`;
}
