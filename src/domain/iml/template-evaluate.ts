/** Evaluating templates and whole mappers (objects and arrays of templates). */
import type { TemplatePart } from './ast';
import { createImlEnvironment, type ImlEnvironment } from './environment';
import { ImlEvaluationError, ImlMappingError } from './errors';
import { evaluateNode } from './evaluate';
import type { MappingContext, EvaluationState } from './state';
import { templateOf } from './template';
import { toOutput, toText } from './values';

function evaluateParts(parts: readonly TemplatePart[], state: EvaluationState): unknown {
  const only = parts[0];
  if (parts.length === 1 && only?.kind === 'expression') return toOutput(evaluateNode(only.node, state));
  let result = '';
  for (const part of parts) result += part.kind === 'text' ? part.text : toText(evaluateNode(part.node, state));
  return result;
}

/** One string: the value itself for a whole-string expression, else interpolated text. */
export function evaluateTemplateIn(text: string, state: EvaluationState): unknown {
  const parsed = templateOf(text);
  if (parsed.parts.length === 0) return text;
  if (parsed.error) {
    throw new ImlEvaluationError(`Syntax error: ${parsed.error.reason}`, undefined, parsed.error.position);
  }
  return evaluateParts(parsed.parts, state);
}

function walk(value: unknown, state: EvaluationState, field: string): unknown {
  if (typeof value === 'string') {
    try {
      return evaluateTemplateIn(value, state);
    } catch (err) {
      if (err instanceof ImlEvaluationError) throw new ImlMappingError(field, err);
      throw err;
    }
  }
  if (Array.isArray(value)) {
    const result: unknown[] = [];
    value.forEach((item, i) => {
      const mapped = walk(item, state, field === '' ? String(i) : `${field}.${i}`);
      if (mapped !== undefined) result.push(mapped);
    });
    return result;
  }
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const mapped = walk(item, state, field === '' ? key : `${field}.${key}`);
      if (mapped !== undefined) result[key] = mapped;
    }
    return result;
  }
  return value;
}

/**
 * Evaluates every string inside `value` (objects and arrays walked, other values kept); a field
 * that maps to nothing is left out. Throws `ImlMappingError` (Make's DataError) when one fails.
 * One environment serves the whole value: one `now`, one random sequence.
 */
export function evaluateMappingWith(
  value: unknown,
  context: MappingContext,
  env?: ImlEnvironment,
  field = '',
): unknown {
  if (typeof value === 'string' && !value.includes('{{')) return value;
  let lazyEnv = env;
  const state: EvaluationState = {
    context,
    // Created only when an expression needs it: most mappers never read the clock.
    get env() {
      lazyEnv ??= createImlEnvironment();
      return lazyEnv;
    },
    work: 0,
  };
  return walk(value, state, field);
}
