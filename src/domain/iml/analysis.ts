/**
 * What a mapper holds, without evaluating it: the modules it references (the workflow picks
 * those bundles), the problems validation reports (syntax errors, unknown functions, each with
 * its field and position), and whether it needs the activity's host functions (hashes).
 */
import { visitNodes, type ImlNode } from './ast';
import { canonicalFunctionName } from './evaluate';
import { HOST_FUNCTIONS } from './functions';
import { templateOf } from './template';

export interface MappingLocation {
  /** Path inside the walked value, e.g. `['headers', 0, 'value']`. */
  path: (string | number)[];
  /** The expression's source, between `{{` and `}}`. */
  expression: string;
}

export interface MappingProblem extends MappingLocation {
  /** Offset in the field's string (0-based). */
  position: number;
  message: string;
}

function walkStrings(
  value: unknown,
  path: (string | number)[],
  visit: (text: string, path: (string | number)[]) => void,
): void {
  if (typeof value === 'string') {
    if (value.includes('{{')) visit(value, path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => walkStrings(item, [...path, i], visit));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) walkStrings(item, [...path, key], visit);
  }
}

function walkNodes(value: unknown, visit: (node: ImlNode, location: MappingLocation) => void): void {
  walkStrings(value, [], (text, path) => {
    for (const part of templateOf(text).parts) {
      if (part.kind !== 'expression') continue;
      visitNodes(part.node, (node) => visit(node, { path, expression: part.source }));
    }
  });
}

/** Each module reference with where it sits, for validation messages that name the field. */
export function findReferences(value: unknown): (MappingLocation & { moduleId: number })[] {
  const found: (MappingLocation & { moduleId: number })[] = [];
  walkNodes(value, (node, location) => {
    if (node.kind === 'reference') found.push({ ...location, moduleId: node.moduleId });
  });
  return found;
}

/** Every module id that `value` maps from, ascending, once each (inside functions too). */
export function referencedModuleIds(value: unknown): number[] {
  const ids = new Set<number>();
  walkNodes(value, (node) => {
    if (node.kind === 'reference') ids.add(node.moduleId);
  });
  return [...ids].sort((a, b) => a - b);
}

/** Syntax errors and unknown functions, with the field, the expression and the position. */
export function findMappingProblems(value: unknown): MappingProblem[] {
  const problems: MappingProblem[] = [];
  walkStrings(value, [], (text, path) => {
    const parsed = templateOf(text);
    const error = parsed.error;
    if (error) {
      const part = parsed.parts.find(
        (p) => p.kind === 'expression' && p.at <= error.position && error.position <= p.at + p.source.length,
      );
      problems.push({
        path,
        expression: part?.kind === 'expression' ? part.source : '',
        position: error.position,
        message: `syntax error: ${error.reason} at position ${error.position}`,
      });
      return;
    }
    for (const part of parsed.parts) {
      if (part.kind !== 'expression') continue;
      visitNodes(part.node, (node) => {
        if (node.kind === 'call' && !canonicalFunctionName(node.name)) {
          problems.push({
            path,
            expression: part.source,
            position: node.at,
            message: `unknown function '${node.name}' at position ${node.at}`,
          });
        }
      });
    }
  });
  return problems;
}

/** Whether evaluating `value` needs a host function only activities have (md5, sha*). */
export function usesHostFunctions(value: unknown): boolean {
  let uses = false;
  walkNodes(value, (node) => {
    if (node.kind === 'call' && HOST_FUNCTIONS.has(canonicalFunctionName(node.name) ?? '')) uses = true;
  });
  return uses;
}

/** True when the string holds at least one `{{…}}` expression (its value is known only at run time). */
export function containsMapping(value: unknown): boolean {
  return typeof value === 'string' && templateOf(value).parts.some((part) => part.kind === 'expression');
}
