/**
 * The IML evaluator: walks a syntax tree over the bundles. No `eval`, no `Function`; names are
 * looked up in own-property tables only, so no path or call reaches a prototype.
 */
import type { ImlNode } from './ast';
import { uuidFrom } from './environment';
import { ImlEvaluationError, ImlFunctionFailure } from './errors';
import { ALL_FUNCTIONS } from './functions';
import { followPath, ownValue } from './path';
import { charge, type EvaluationState } from './state';
import { describe, isEmpty, looseEquals, toBoolean, toDate, toNumber, toText } from './values';

function keyword(name: string, state: EvaluationState): unknown {
  switch (name) {
    case 'emptystring':
      return '';
    case 'emptyarray':
      return [];
    case 'space':
      return ' ';
    case 'tab':
      return '\t';
    case 'newline':
      return '\n';
    case 'nbsp':
      return '\u00a0';
    case 'carriagereturn':
      return '\r';
    case 'erase':
      return null;
    case 'now':
      return state.env.now;
    case 'timestamp':
      return Math.floor(state.env.now.getTime() / 1000);
    case 'random':
      return state.env.random();
    case 'uuid':
      return uuidFrom(state.env.random);
    case 'pi':
      return Math.PI;
    case 'executionId':
      return ownValue(ownValue(state.env.variables, 'execution'), 'id');
    default:
      return undefined; // ignore
  }
}

function dateMs(value: unknown, state: EvaluationState): number | undefined {
  return typeof value === 'string' ? toDate(value, state.env.timezone)?.getTime() : undefined;
}

function arithmetic(operator: string, left: unknown, right: unknown, state: EvaluationState): unknown {
  if (operator === '+' && (typeof left === 'string' || typeof right === 'string')) return toText(left) + toText(right);
  if (isEmpty(left) || isEmpty(right)) return null; // arithmetic with an empty value is empty
  // `2.value - 1.value`: dates (ISO text in bundles) subtract to milliseconds (reference §2.5).
  const a = toNumber(left) ?? (operator === '-' ? dateMs(left, state) : undefined);
  const b = toNumber(right) ?? (operator === '-' ? dateMs(right, state) : undefined);
  if (a === undefined || b === undefined) {
    const bad = a === undefined ? left : right;
    throw new ImlEvaluationError(`Operator '${operator}' finished with error! ${describe(bad)} is not a valid number.`);
  }
  switch (operator) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
    case '%':
      if (b === 0) throw new ImlEvaluationError(`Operator '${operator}' finished with error! Division by zero.`);
      return operator === '/' ? a / b : a % b;
    default:
      return null;
  }
}

function ordered(operator: string, left: unknown, right: unknown): boolean {
  if (isEmpty(left) || isEmpty(right)) return false;
  const a = toNumber(left);
  const b = toNumber(right);
  const numeric = a !== undefined && b !== undefined && typeof left !== 'boolean' && typeof right !== 'boolean';
  const x: number | string = numeric ? (a as number) : toText(left);
  const y: number | string = numeric ? (b as number) : toText(right);
  switch (operator) {
    case '<':
      return x < y;
    case '>':
      return x > y;
    case '<=':
      return x <= y;
    default:
      return x >= y;
  }
}

const LAZY: Record<string, (args: ImlNode[], state: EvaluationState) => unknown> = {
  if: (args, state) => {
    if (args.length < 2) throw new ImlFunctionFailure('Expected 2 or 3 arguments.');
    const test = toBoolean(evaluateNode(args[0] as ImlNode, state));
    const branch = test ? args[1] : args[2];
    return branch ? evaluateNode(branch, state) : undefined;
  },
  ifempty: (args, state) => {
    if (args.length < 2) throw new ImlFunctionFailure('Expected 2 arguments.');
    const first = evaluateNode(args[0] as ImlNode, state);
    return isEmpty(first) ? evaluateNode(args[1] as ImlNode, state) : first;
  },
  switch: (args, state) => {
    if (args.length < 2) throw new ImlFunctionFailure('Expected at least 2 arguments.');
    const value = evaluateNode(args[0] as ImlNode, state);
    let i = 1;
    for (; i + 1 < args.length; i += 2) {
      if (looseEquals(value, evaluateNode(args[i] as ImlNode, state)))
        return evaluateNode(args[i + 1] as ImlNode, state);
    }
    return i < args.length ? evaluateNode(args[i] as ImlNode, state) : null;
  },
};

const byLowerName = new Map<string, string>();
for (const name of [...Object.keys(ALL_FUNCTIONS), ...Object.keys(LAZY)]) byLowerName.set(name.toLowerCase(), name);

/** The function's canonical name (`ifEmpty` → `ifempty`), or undefined when IML has none. */
export function canonicalFunctionName(name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(ALL_FUNCTIONS, name) || Object.prototype.hasOwnProperty.call(LAZY, name)) {
    return name;
  }
  return byLowerName.get(name.toLowerCase());
}

function call(node: Extract<ImlNode, { kind: 'call' }>, state: EvaluationState): unknown {
  const name = canonicalFunctionName(node.name);
  if (!name) throw new ImlEvaluationError(`Function '${node.name}' not found!`, undefined, node.at);
  charge(state, 1);
  try {
    const lazy = Object.prototype.hasOwnProperty.call(LAZY, name) ? LAZY[name] : undefined;
    if (lazy) return lazy(node.args, state);
    const args = node.args.map((arg) => evaluateNode(arg, state));
    return (ALL_FUNCTIONS[name] as (args: unknown[], state: EvaluationState) => unknown)(args, state);
  } catch (err) {
    if (err instanceof ImlEvaluationError || err instanceof ImlFunctionFailure) {
      throw new ImlEvaluationError(err.message, name, node.at);
    }
    // A runtime error of the host (an invalid regular expression, a stack overflow): still the data's fault.
    if (err instanceof Error) throw new ImlEvaluationError(err.message, name, node.at);
    throw err;
  }
}

export function evaluateNode(node: ImlNode, state: EvaluationState): unknown {
  charge(state, 1);
  switch (node.kind) {
    case 'literal':
    case 'text':
      return node.value;
    case 'keyword':
      return keyword(node.name, state);
    case 'reference':
      return followPath(ownValue(state.context, String(node.moduleId)), node.path);
    case 'variable':
      return followPath(state.env.variables, node.path);
    case 'call':
      return call(node, state);
    case 'unary': {
      const value = evaluateNode(node.operand, state);
      if (node.operator === '!') return !toBoolean(value);
      return arithmetic('-', 0, value, state);
    }
    case 'binary': {
      const { operator } = node;
      if (operator === '&')
        return toBoolean(evaluateNode(node.left, state)) && toBoolean(evaluateNode(node.right, state));
      if (operator === '|')
        return toBoolean(evaluateNode(node.left, state)) || toBoolean(evaluateNode(node.right, state));
      const left = evaluateNode(node.left, state);
      const right = evaluateNode(node.right, state);
      if (operator === '=') return looseEquals(left, right);
      if (operator === '!=') return !looseEquals(left, right);
      if (operator === '<' || operator === '>' || operator === '<=' || operator === '>=') {
        return ordered(operator, left, right);
      }
      return arithmetic(operator, left, right, state);
    }
  }
}

/** Every function name IML knows (for validation and docs). */
export function knownFunctionNames(): string[] {
  return [...Object.keys(ALL_FUNCTIONS), ...Object.keys(LAZY)].sort();
}
