/**
 * Templates: a mapper value is text with `{{…}}` expressions embedded (reference §2.1). Each
 * template string is parsed once and cached: runs evaluate the same mapper strings again and again.
 */
import type { ImlNode, TemplatePart } from './ast';
import { ImlSyntaxError } from './errors';
import { parseExpression } from './parser';
import type { PathStep } from './path';

export interface ParsedTemplate {
  parts: TemplatePart[];
  /** Set when the template does not parse; evaluation then fails with it. */
  error?: ImlSyntaxError;
}

/**
 * A plain reference, as imex read them before IML: `1.a.b`, `` 1.`key` ``, `1.items[2]`,
 * `1.items[]`, `1` (the whole bundle). Kept as the first reading of a whole expression, so keys
 * that IML would need backticks for (`1.content-type`, `1.0`) keep working as they always did.
 */
export function parsePlainReference(source: string): { moduleId: number; path: PathStep[] } | undefined {
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
      // A name with an operator or a call in it is an expression, not a key.
      if (/[();"+*/%=<>!&|,]/.test(plain[1] ?? '')) return undefined;
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

/** Where the `}}` closing the expression that starts at `open` is: quotes may hold `}}`. */
function findClose(text: string, open: number): number {
  let i = open + 2;
  while (i < text.length) {
    const c = text[i];
    if (c === '}' && text[i + 1] === '}') return i;
    if (c === '"') {
      i++;
      while (i < text.length && !(text[i] === '"' && text[i + 1] !== '"')) i += text[i] === '"' ? 2 : 1;
      if (i >= text.length) return text.indexOf('}}', open + 2); // unbalanced quote: the plain reading
    } else if (c === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) return text.indexOf('}}', open + 2);
      i = close;
    }
    i++;
  }
  return -1;
}

function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let error: ImlSyntaxError | undefined;
  let last = 0;
  for (;;) {
    const open = text.indexOf('{{', last);
    if (open < 0) break;
    const close = findClose(text, open);
    if (close < 0) break;
    if (open > last) parts.push({ kind: 'text', text: text.slice(last, open) });
    const source = text.slice(open + 2, close);
    const at = open + 2;
    let node: ImlNode;
    const plain = parsePlainReference(source);
    if (plain) {
      node = { kind: 'reference', at: at + (source.length - source.trimStart().length), ...plain };
    } else {
      try {
        node = parseExpression(text, at, close);
      } catch (err) {
        if (!(err instanceof ImlSyntaxError)) throw err;
        error ??= err;
        node = { kind: 'keyword', at, name: 'ignore' };
      }
    }
    parts.push({ kind: 'expression', source, at, node });
    last = close + 2;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return error ? { parts, error } : { parts };
}

const CACHE_MAX = 10_000;
const cache = new Map<string, ParsedTemplate>();
const noExpressions: ParsedTemplate = { parts: [] };

/** The template's parts, parsed once per distinct string (a bounded cache). */
export function templateOf(text: string): ParsedTemplate {
  if (!text.includes('{{')) return noExpressions;
  let parsed = cache.get(text);
  if (!parsed) {
    parsed = parseTemplate(text);
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(text, parsed);
  }
  return parsed;
}

/** True when the string holds at least one `{{…}}` expression. */
export function hasExpressions(text: string): boolean {
  return templateOf(text).parts.some((part) => part.kind === 'expression');
}
