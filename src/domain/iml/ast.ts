/**
 * The syntax tree of one IML expression (the text between `{{` and `}}`). Every node carries
 * `at`, its offset in the template string, so errors can point at it.
 */
import type { PathStep } from './path';

export type ImlNode =
  | { kind: 'literal'; at: number; value: string | number | boolean | null }
  /** Unquoted text in an argument (`formatDate(now; YYYY-MM-DD)`): a string, kept apart for docs and tests. */
  | { kind: 'text'; at: number; value: string }
  | { kind: 'keyword'; at: number; name: string }
  /** `1.a.b`, `` `1` ``: a module's output bundle and a path into it. */
  | { kind: 'reference'; at: number; moduleId: number; path: PathStep[] }
  /** `var.scenario.id`, `executionId`. */
  | { kind: 'variable'; at: number; path: PathStep[] }
  | { kind: 'call'; at: number; name: string; args: ImlNode[] }
  | { kind: 'unary'; at: number; operator: '-' | '!'; operand: ImlNode }
  | { kind: 'binary'; at: number; operator: BinaryOperator; left: ImlNode; right: ImlNode };

export type BinaryOperator = '+' | '-' | '*' | '/' | '%' | '=' | '!=' | '<' | '>' | '<=' | '>=' | '&' | '|';

/** A template: text and expressions, in order. */
export type TemplatePart =
  { kind: 'text'; text: string } | { kind: 'expression'; source: string; at: number; node: ImlNode };

/** Calls every node of the tree, depth first. */
export function visitNodes(node: ImlNode, visit: (node: ImlNode) => void): void {
  visit(node);
  if (node.kind === 'call') for (const arg of node.args) visitNodes(arg, visit);
  else if (node.kind === 'unary') visitNodes(node.operand, visit);
  else if (node.kind === 'binary') {
    visitNodes(node.left, visit);
    visitNodes(node.right, visit);
  }
}
