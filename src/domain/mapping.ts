/**
 * The mapping evaluator: Make's IML (`{{…}}` expressions inside mapper values), implemented in
 * src/domain/iml (docs/mapping.md). This file is the entry every caller uses: modules' mappers
 * (the module activity), filters and flow-control directives (the workflow, or an activity when
 * a bundle is kept by reference), and the benchmark.
 *
 * Rules (as Make's):
 * - a string that is exactly one expression keeps the value's type (object, array, number);
 * - text around expressions interpolates: numbers and booleans as text, collections as JSON,
 *   dates as ISO 8601, a missing value as empty text;
 * - a whole-string expression that finds nothing leaves the field out (Make treats an empty
 *   field as not filled), in objects and arrays alike;
 * - references: `1.a.b`, `` 1.`key with spaces` ``, `1.items[1]` (1-based), `1.items[].name`;
 *   only own properties are read, so `{{1.constructor}}` finds nothing;
 * - a function that fails raises `ImlMappingError`, Make's DataError text
 *   (`Failed to map 'url': Function 'parseDate' finished with error! …`).
 * Evaluated by walking a syntax tree, never with `eval` or `Function`.
 */
import {
  evaluateMappingWith,
  parsePlainReference,
  type ImlEnvironment,
  type MappingContext,
  type PathStep,
} from './iml';

export type { MappingContext, PathStep };
export {
  containsMapping,
  createImlEnvironment,
  findMappingProblems,
  findReferences,
  ImlEvaluationError,
  ImlMappingError,
  ImlSyntaxError,
  isTimeZone,
  referencedModuleIds,
  usesHostFunctions,
  type DigestAlgorithm,
  type ImlEnvironment,
  type ImlEnvironmentOptions,
  type MappingLocation,
  type MappingProblem,
} from './iml';

export interface ModuleReference {
  moduleId: number;
  path: PathStep[];
}

/** Parses a plain reference `1.a.b[2].`c d``; undefined when the text is anything else. */
export function parseReference(source: string): ModuleReference | undefined {
  return parsePlainReference(source);
}

/** Evaluates one string: the value itself for a whole-string expression, else interpolated text. */
export function evaluateTemplate(text: string, context: MappingContext, env?: ImlEnvironment): unknown {
  return evaluateMappingWith(text, context, env);
}

/**
 * Evaluates every string inside `value` (objects and arrays are walked; other values kept).
 * `env` fixes `now`, the random sequence, the time zone and the variables for the whole value;
 * without one, the clock and a fresh seed are used (fine in activities and tests).
 */
export function evaluateMapping(value: unknown, context: MappingContext, env?: ImlEnvironment): unknown {
  return evaluateMappingWith(value, context, env);
}
