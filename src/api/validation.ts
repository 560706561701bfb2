/**
 * Request validation with zod: params, query and body are checked together, so one 400 names every
 * bad field, wherever it is. Field paths read like the request: `scenarioId`, `pg[limit]`,
 * `blueprint.flow[1].mapper.url`.
 */
import type { FastifyInstance, FastifyRequest, FastifySchema, FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { findForbiddenJsonKeys, formatPath, type JsonKeyPolicy } from '../domain';
import { validationError, type FieldError, type FieldLocation } from './errors';

type PathKey = PropertyKey;

/** A blueprint error found inside a body field, carried through zod as a custom issue. */
export interface NestedFieldIssue {
  /** Path below the field, already formatted (`flow[1].mapper.url`). */
  subpath: string;
  moduleId?: number;
}

function joinPath(location: FieldLocation, path: readonly PathKey[], subpath?: string): string {
  // Params and query keys are flat names (`pg[limit]`), shown as sent.
  const [first, ...rest] = path;
  let text = location === 'body' ? formatPath(path) : [String(first ?? ''), formatPath(rest)].join('');
  if (subpath) text = text ? `${text}${subpath.startsWith('[') ? '' : '.'}${subpath}` : subpath;
  return text;
}

/** Zod issues as the API's field errors; an unknown key becomes one error per key. */
export function fieldErrors(location: FieldLocation, issues: readonly z.core.$ZodIssue[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({ path: joinPath(location, [...issue.path, key]), message: 'unknown field', in: location });
      }
      continue;
    }
    const nested = issue.code === 'custom' ? (issue.params as NestedFieldIssue | undefined) : undefined;
    const error: FieldError = {
      path: joinPath(location, issue.path, nested?.subpath),
      message: issue.message,
      in: location,
    };
    if (nested?.moduleId !== undefined) error.moduleId = nested.moduleId;
    errors.push(error);
  }
  return errors;
}

const parts = [
  ['params', 'params'],
  ['querystring', 'query'],
  ['body', 'body'],
] as const satisfies readonly (readonly [keyof FastifySchema, FieldLocation])[];

/**
 * Checks every part of the request before Fastify's per-part validation (which stops at the first
 * bad part), and answers one 400 naming each bad field.
 */
export function installRequestValidation(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const schema = request.routeOptions.schema;
    if (!schema) return;
    const errors: FieldError[] = [];
    for (const [part, location] of parts) {
      const partSchema = schema[part];
      if (!(partSchema instanceof z.ZodType)) continue;
      const value = location === 'params' ? request.params : location === 'query' ? request.query : request.body;
      const result = await partSchema.safeParseAsync(value);
      if (!result.success) errors.push(...fieldErrors(location, result.error.issues));
    }
    if (errors.length > 0) throw validationError(errors);
  });
}

/** Fastify's validator: parses (and transforms) with zod; failures were already answered above. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const location: FieldLocation = httpPart === 'body' ? 'body' : httpPart === 'params' ? 'params' : 'query';
    return { error: validationError(fieldErrors(location, result.error.issues)) };
  };

const positiveIntMessage = 'must be a positive integer';

/**
 * Only the canonical text of a number: `+1`, ` 1`, `01`, `1.0`, `1e0`, `0x1` would all be 1 to
 * `Number()`, and an id that two spellings reach is an id a cache, a log or a rule can miss.
 */
function canonicalInteger(pattern: RegExp, message: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string({ error: message })
    .regex(pattern, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message));
}

/** An integer id in a path or query (scenario, organization): `abc`, `0`, `01`, `+1`, `1.0` answer 400. */
export const integerIdParam = canonicalInteger(/^[1-9][0-9]{0,15}$/, positiveIntMessage, 1);

/**
 * A query schema: unknown keys are refused by name, so neither a typo nor the object syntax other
 * parsers give meaning to (`scenarioId[$gt]=0`, `status[]=x`) passes as "no filter". A key sent
 * twice arrives as an array and fails its field's check.
 */
export function querySchema<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape);
}

/** Make's paging, `pg[offset]` and `pg[limit]`. */
export function pagingQuery(defaultLimit = 100, maxLimit = 10_000) {
  const limitMessage = `must be an integer from 1 to ${maxLimit}`;
  return {
    'pg[offset]': canonicalInteger(/^(0|[1-9][0-9]{0,15})$/, 'must be a whole number', 0).default(0),
    'pg[limit]': canonicalInteger(/^[1-9][0-9]{0,15}$/, limitMessage, 1, maxLimit).default(defaultLimit),
  };
}

/**
 * User JSON whose keys are checked before `schema` reads it (domain/json-keys.ts): a forbidden
 * key answers 400 naming its path. The check sees the value as sent, before zod copies it into
 * new objects (where a `__proto__` key would already have become a prototype).
 */
export function checkedJson<T extends z.ZodType>(schema: T, policy: JsonKeyPolicy = 'imex') {
  return z.preprocess((value, ctx) => {
    for (const forbidden of findForbiddenJsonKeys(value, policy)) {
      ctx.addIssue({ code: 'custom', path: forbidden.path, message: forbidden.message, input: value });
    }
    return value;
  }, schema);
}
