/**
 * IML, Make's mapping language (docs/mapping.md): templates with `{{…}}` expressions,
 * references, functions, operators, keywords and variables. Pure and deterministic given its
 * environment, so workflows and activities evaluate alike.
 */
export type { ImlNode, TemplatePart, BinaryOperator } from './ast';
export { parseExpression, MAX_NESTING } from './parser';
export { templateOf, parsePlainReference, type ParsedTemplate } from './template';
export { evaluateMappingWith, evaluateTemplateIn } from './template-evaluate';
export { evaluateNode, canonicalFunctionName, knownFunctionNames } from './evaluate';
export {
  createImlEnvironment,
  seededRandom,
  uuidFrom,
  type DigestAlgorithm,
  type ImlEnvironment,
  type ImlEnvironmentOptions,
} from './environment';
export { ImlEvaluationError, ImlMappingError, ImlSyntaxError, failedToMapMessage } from './errors';
export {
  containsMapping,
  findMappingProblems,
  findReferences,
  referencedModuleIds,
  usesHostFunctions,
  type MappingLocation,
  type MappingProblem,
} from './analysis';
export { isTimeZone } from './dates/zone';
export { WORK_LIMIT, MAX_ITEMS, MAX_TEXT, type MappingContext, type EvaluationState } from './state';
export type { PathStep } from './path';
