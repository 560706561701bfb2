/**
 * The IML parser: one `{{…}}` expression → a syntax tree (ast.ts). Hand-written recursive
 * descent over the template string, so every node and error knows its offset in the field.
 *
 * Precedence, loosest first (Make documents none; this is the JS-like reading of the reference,
 * §2.5): `|` `||` `or` → `&` `&&` `and` → `=` `==` `!=` `<>` `<` `>` `<=` `>=` → `+` `-` →
 * `*` `/` `%` → unary `-` `!` → literals, references, calls, `( … )`. Binary operators are
 * left-associative.
 *
 * Arguments are separated by `;`. An argument that is not a well-formed expression of known
 * names and holds no call and no quote is unquoted literal text, trimmed (`formatDate(now;
 * YYYY-MM-DD)`, `if(1 = 2; A; B)`), as Make's editor accepts it.
 */
import type { BinaryOperator, ImlNode } from './ast';
import { ImlSyntaxError } from './errors';
import { KEYWORDS } from './keywords';
import type { PathStep } from './path';

/** Deeper nesting is refused: bounded recursion whatever the input. */
export const MAX_NESTING = 64;

const identStart = /[\p{L}_$]/u;
const identPart = /[\p{L}\p{N}_$]/u;
const space = /\s/;

class Parser {
  private depth = 0;
  /** Unquoted words that are no name IML knows, seen since the current argument began. */
  private unknownWords = 0;

  constructor(
    private readonly src: string,
    private pos: number,
    private readonly end: number,
  ) {}

  parseWhole(): ImlNode {
    this.skipSpace();
    if (this.pos >= this.end) throw new ImlSyntaxError('empty expression', this.pos);
    const node = this.parseExpression();
    if (this.unknownWords > 0) throw new ImlSyntaxError(`unknown name '${this.firstUnknown}'`, this.firstUnknownAt);
    this.skipSpace();
    if (this.pos < this.end) throw new ImlSyntaxError(`unexpected '${this.src[this.pos]}'`, this.pos);
    return node;
  }

  private firstUnknown = '';
  private firstUnknownAt = 0;

  private peek(offset = 0): string {
    const at = this.pos + offset;
    return at < this.end ? (this.src[at] as string) : '';
  }

  private skipSpace(): void {
    while (this.pos < this.end && space.test(this.src[this.pos] as string)) this.pos++;
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) throw new ImlSyntaxError(`nested more than ${MAX_NESTING} levels deep`, this.pos);
  }

  private parseExpression(): ImlNode {
    this.enter();
    try {
      return this.parseOr();
    } finally {
      this.depth--;
    }
  }

  /** Matches one of the operators at the cursor (after spaces); a word operator stands alone. */
  private operator(options: readonly string[]): string | undefined {
    this.skipSpace();
    for (const option of options) {
      if (!this.src.startsWith(option, this.pos) || this.pos + option.length > this.end) continue;
      if (/^[a-z]/.test(option)) {
        const after = this.pos + option.length < this.end ? (this.src[this.pos + option.length] as string) : '';
        if (identPart.test(after)) continue;
      }
      // Longer operators come first in `options`: `<` never takes the first half of `<=`.
      this.pos += option.length;
      return option;
    }
    return undefined;
  }

  private binary(next: () => ImlNode, options: readonly string[], normalise: (op: string) => BinaryOperator): ImlNode {
    let left = next();
    for (;;) {
      const at = this.pos;
      const op = this.operator(options);
      if (!op) {
        this.pos = at;
        return left;
      }
      const right = next();
      left = { kind: 'binary', at, operator: normalise(op), left, right };
    }
  }

  private parseOr(): ImlNode {
    return this.binary(
      () => this.parseAnd(),
      ['||', '|', 'or'],
      () => '|',
    );
  }

  private parseAnd(): ImlNode {
    return this.binary(
      () => this.parseComparison(),
      ['&&', '&', 'and'],
      () => '&',
    );
  }

  private parseComparison(): ImlNode {
    return this.binary(
      () => this.parseAdditive(),
      ['<=', '>=', '!=', '<>', '==', '=', '<', '>'],
      (op) => (op === '==' ? '=' : op === '<>' ? '!=' : (op as BinaryOperator)),
    );
  }

  private parseAdditive(): ImlNode {
    return this.binary(
      () => this.parseMultiplicative(),
      ['+', '-'],
      (op) => op as BinaryOperator,
    );
  }

  private parseMultiplicative(): ImlNode {
    return this.binary(
      () => this.parseUnary(),
      ['*', '/', '%'],
      (op) => op as BinaryOperator,
    );
  }

  private parseUnary(): ImlNode {
    this.skipSpace();
    const at = this.pos;
    const c = this.peek();
    if ((c === '-' && !/\d/.test(this.peek(1))) || (c === '!' && this.peek(1) !== '=')) {
      this.pos++;
      this.enter();
      try {
        return { kind: 'unary', at, operator: c as '-' | '!', operand: this.parseUnary() };
      } finally {
        this.depth--;
      }
    }
    return this.parsePrimary();
  }

  private parsePrimary(): ImlNode {
    this.skipSpace();
    const at = this.pos;
    const c = this.peek();
    if (c === '') throw new ImlSyntaxError('unexpected end of expression', at);
    if (c === '(') {
      this.pos++;
      const inner = this.parseExpression();
      this.skipSpace();
      if (this.peek() !== ')') throw new ImlSyntaxError("expected ')'", this.pos);
      this.pos++;
      return inner;
    }
    if (c === '"') return { kind: 'literal', at, value: this.readString() };
    if (c === '-' || /\d/.test(c)) return this.readNumberOrReference();
    if (c === '`') {
      const quoted = this.readBacktick();
      if (!/^\d+$/.test(quoted) || Number(quoted) < 1)
        throw new ImlSyntaxError('expected a module id in backticks', at);
      return { kind: 'reference', at, moduleId: Number(quoted), path: this.readPath() };
    }
    if (identStart.test(c)) return this.readName();
    throw new ImlSyntaxError(`unexpected '${c}'`, at);
  }

  /** `"…"` with `""` for a quote inside. */
  private readString(): string {
    const at = this.pos;
    this.pos++;
    let text = '';
    for (;;) {
      if (this.pos >= this.end) throw new ImlSyntaxError('unterminated string', at);
      const ch = this.src[this.pos] as string;
      if (ch === '"') {
        if (this.src[this.pos + 1] === '"' && this.pos + 1 < this.end) {
          text += '"';
          this.pos += 2;
          continue;
        }
        this.pos++;
        return text;
      }
      text += ch;
      this.pos++;
    }
  }

  private readBacktick(): string {
    const at = this.pos;
    const close = this.src.indexOf('`', this.pos + 1);
    if (close < 0 || close >= this.end) throw new ImlSyntaxError('unterminated backtick', at);
    this.pos = close + 1;
    return this.src.slice(at + 1, close);
  }

  private readNumberOrReference(): ImlNode {
    const at = this.pos;
    const negative = this.peek() === '-';
    if (negative) this.pos++;
    const start = this.pos;
    while (/\d/.test(this.peek())) this.pos++;
    const digits = this.src.slice(start, this.pos);
    if (this.peek() === '.' && this.segmentFollows()) {
      const moduleId = Number(digits);
      if (!Number.isSafeInteger(moduleId) || moduleId < 1) throw new ImlSyntaxError('module ids start at 1', start);
      const reference: ImlNode = { kind: 'reference', at: start, moduleId, path: this.readPath() };
      return negative ? { kind: 'unary', at, operator: '-', operand: reference } : reference;
    }
    if (this.peek() === '.' && /\d/.test(this.peek(1))) {
      this.pos++;
      while (/\d/.test(this.peek())) this.pos++;
    }
    return { kind: 'literal', at, value: Number(this.src.slice(at, this.pos)) };
  }

  /** After `<digits>.`: a path segment (a name with a non-digit, or backticks), not a fraction. */
  private segmentFollows(): boolean {
    const next = this.peek(1);
    if (next === '`') return true;
    let i = 1;
    let nonDigit = false;
    while (identPart.test(this.peek(i))) {
      if (!/\d/.test(this.peek(i))) nonDigit = true;
      i++;
    }
    return nonDigit;
  }

  /** `.key`, `` .`key` ``, `[2]`, `[]`, repeated. */
  private readPath(): PathStep[] {
    const path: PathStep[] = [];
    for (;;) {
      const c = this.peek();
      if (c === '.' && this.peek(1) === '`') {
        this.pos++;
        path.push({ kind: 'key', key: this.readBacktick() });
      } else if (c === '.' && identPart.test(this.peek(1))) {
        this.pos++;
        const start = this.pos;
        while (identPart.test(this.peek())) this.pos++;
        path.push({ kind: 'key', key: this.src.slice(start, this.pos) });
      } else if (c === '[') {
        const at = this.pos;
        const close = this.src.indexOf(']', this.pos);
        const inside = close < 0 || close >= this.end ? undefined : this.src.slice(this.pos + 1, close).trim();
        if (inside === undefined || !/^\d*$/.test(inside)) throw new ImlSyntaxError('expected [<number>] or []', at);
        if (inside !== '' && Number(inside) < 1) throw new ImlSyntaxError('array indexes start at 1', at);
        path.push(inside === '' ? { kind: 'each' } : { kind: 'index', index: Number(inside) });
        this.pos = close + 1;
      } else {
        return path;
      }
    }
  }

  private readName(): ImlNode {
    const at = this.pos;
    while (identPart.test(this.peek())) this.pos++;
    const name = this.src.slice(at, this.pos);
    if (this.peek() === '(') {
      this.pos++;
      return { kind: 'call', at, name, args: this.readArguments() };
    }
    if (name === 'var' && this.peek() === '.') {
      const path = this.readPath();
      if (path.length === 0) throw new ImlSyntaxError('expected a variable name after var.', this.pos);
      return { kind: 'variable', at, path };
    }
    if (name === 'true' || name === 'false') return { kind: 'literal', at, value: name === 'true' };
    if (name === 'null') return { kind: 'literal', at, value: null };
    if (KEYWORDS.has(name)) return { kind: 'keyword', at, name };
    if (this.unknownWords++ === 0) {
      this.firstUnknown = name;
      this.firstUnknownAt = at;
    }
    return { kind: 'text', at, value: name };
  }

  private readArguments(): ImlNode[] {
    this.enter();
    try {
      const args: ImlNode[] = [];
      this.skipSpace();
      if (this.peek() === ')') {
        this.pos++;
        return args;
      }
      for (;;) {
        args.push(this.readArgument());
        const c = this.peek();
        if (c === ';') {
          this.pos++;
          continue;
        }
        if (c === ')') {
          this.pos++;
          return args;
        }
        throw new ImlSyntaxError(
          c === '' ? "expected ')'" : `unexpected '${c}' (arguments are separated by ';')`,
          this.pos,
        );
      }
    } finally {
      this.depth--;
    }
  }

  /** One argument: an expression, or unquoted text up to the next `;` or `)`. */
  private readArgument(): ImlNode {
    this.skipSpace();
    const start = this.pos;
    if (this.peek() === ';' || this.peek() === ')') return { kind: 'keyword', at: start, name: 'ignore' };
    const outerUnknown = this.unknownWords;
    const outerFirst = [this.firstUnknown, this.firstUnknownAt] as const;
    this.unknownWords = 0;
    let parsed: ImlNode | undefined;
    let failure: unknown;
    try {
      parsed = this.parseExpression();
      this.skipSpace();
      if (this.peek() !== ';' && this.peek() !== ')') parsed = undefined;
    } catch (err) {
      if (!(err instanceof ImlSyntaxError)) throw err;
      failure = err;
    }
    const unknown = this.unknownWords;
    const innerFirst = [this.firstUnknown, this.firstUnknownAt] as const;
    this.unknownWords = outerUnknown;
    [this.firstUnknown, this.firstUnknownAt] = outerFirst;
    if (parsed && unknown === 0) return parsed;
    const parsedEnd = this.pos;
    // Unquoted text: up to the `;` or `)` that closes the argument.
    this.pos = start;
    let depth = 0;
    while (this.pos < this.end) {
      const c = this.src[this.pos] as string;
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if (c === ';' && depth === 0) break;
      this.pos++;
    }
    const raw = this.src.slice(start, this.pos);
    // A quote, a call or a module reference means code with a mistake in it, not text.
    const looksLikeCode =
      raw.includes('"') || /[\p{L}\p{N}_$]\(/u.test(raw) || /(?:^|[^\p{L}\p{N}_$.])\d+\.[\p{L}_$`]/u.test(raw);
    if (looksLikeCode || this.pos >= this.end) {
      if (failure) throw failure;
      if (parsed && unknown > 0) throw new ImlSyntaxError(`unknown name '${innerFirst[0]}'`, innerFirst[1]);
      if (parsedEnd >= this.end) throw new ImlSyntaxError("expected ')'", this.end);
      const c = this.src[parsedEnd] ?? '';
      const hint = c === ',' ? " (arguments are separated by ';')" : '';
      throw new ImlSyntaxError(`unexpected '${c}'${hint}`, parsedEnd);
    }
    return { kind: 'text', at: start, value: raw.trim() };
  }
}

/** Parses the expression `src.slice(start, end)`; positions are offsets in `src`. */
export function parseExpression(src: string, start = 0, end = src.length): ImlNode {
  return new Parser(src, start, end).parseWhole();
}
