/**
 * The IML parser: the tree it builds (precedence, arguments, unquoted text), the errors it
 * reports (with positions), and that it never throws anything else, whatever the input.
 */
import fc from 'fast-check';
import {
  findMappingProblems,
  ImlSyntaxError,
  MAX_NESTING,
  parseExpression,
  templateOf,
  type ImlNode,
} from '../../../src/domain/iml';

/** The tree as a compact string: `(+ 1 (* 2 3))`. */
function show(node: ImlNode): string {
  switch (node.kind) {
    case 'literal':
      return JSON.stringify(node.value);
    case 'text':
      return `'${node.value}'`;
    case 'keyword':
      return node.name;
    case 'reference':
      return `${node.moduleId}${node.path.map((s) => (s.kind === 'key' ? `.${s.key}` : s.kind === 'index' ? `[${s.index}]` : '[]')).join('')}`;
    case 'variable':
      return `var${node.path.map((s) => (s.kind === 'key' ? `.${s.key}` : '[]')).join('')}`;
    case 'call':
      return `${node.name}(${node.args.map(show).join('; ')})`;
    case 'unary':
      return `(${node.operator} ${show(node.operand)})`;
    case 'binary':
      return `(${node.operator} ${show(node.left)} ${show(node.right)})`;
  }
}

const parse = (source: string) => show(parseExpression(source));

describe('parseExpression', () => {
  it.each([
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['(1 + 2) * 3', '(* (+ 1 2) 3)'],
    ['10 - 2 - 3', '(- (- 10 2) 3)'],
    ['1 + 1 = 2 & 3 > 2', '(& (= (+ 1 1) 2) (> 3 2))'],
    ['a = 1 | b = 2 & c = 3'.replace(/[abc]/g, '1.x'), '(| (= 1.x 1) (& (= 1.x 2) (= 1.x 3)))'],
    ['1 = 2 and 1 = 2', '(& (= 1 2) (= 1 2))'],
    ['1 = 2 or true', '(| (= 1 2) true)'],
    ['1 == 2 || 1 <> 2 && 1 != 3', '(| (= 1 2) (& (!= 1 2) (!= 1 3)))'],
    ['1 <= 2', '(<= 1 2)'],
    ['-1.price', '(- 1.price)'],
    ['-2', '-2'],
    ['!true', '(! true)'],
    ['3 % 2', '(% 3 2)'],
    ['1.a.b[2].`c d`[]', '1.a.b[2].c d[]'],
    ['`1`', '1'],
    ['`1`.x', '1.x'],
    ['1.`0`', '1.0'],
    ['1.5', '1.5'],
    ['1.2483a228', '1.2483a228'],
    ['var.scenario.id', 'var.scenario.id'],
    ['now', 'now'],
    ['null', 'null'],
    ['"a""b"', '"a\\"b"'],
    ['lower(trim(1.email))', 'lower(trim(1.email))'],
    ['if(1 = 2; A; B)', "if((= 1 2); 'A'; 'B')"],
    ['formatDate(now; YYYY-MM-DD)', "formatDate(now; 'YYYY-MM-DD')"],
    ['formatNumber(1; 3; ,; .)', "formatNumber(1; 3; ','; '.')"],
    ['split(John, George; ,)', "split('John, George'; ',')"],
    ['get(1.x; a.b)', "get(1.x; 'a.b')"],
    ['map(1.x; name; label; work,home)', "map(1.x; 'name'; 'label'; 'work,home')"],
    ['sort(1.x; asc ci)', "sort(1.x; 'asc ci')"],
    ['if(x; rock and roll; y)', "if('x'; 'rock and roll'; 'y')"],
    ['f()', 'f()'],
    ['f(; 1)', 'f(ignore; 1)'],
    ['formatDate(now; DD (MMM))', "formatDate(now; 'DD (MMM)')"],
    ['split(1.x; space)', 'split(1.x; space)'],
  ])('%s → %s', (source, tree) => {
    expect(parse(source)).toBe(tree);
  });

  it.each([
    ['', 'empty expression', 0],
    ['1 +', 'unexpected end of expression', 3],
    ['(1 + 2', "expected ')'", 6],
    ['lower(1.a', "expected ')'", 9],
    ['"abc', 'unterminated string', 0],
    ['1.items[0]', 'array indexes start at 1', 7],
    ['1.items[x]', 'expected [<number>] or []', 7],
    ['foo', "unknown name 'foo'", 0],
    ['1 2', "unexpected '2'", 2],
    ['lower(1.a, 1.b)', "unexpected ',' (arguments are separated by ';')", 9],
    ['ifempty(parseJSON(1.a) + x"; 1)', `unexpected '"'`, 26],
    ['`abc`', 'expected a module id in backticks', 0],
    ['0.a', 'module ids start at 1', 0],
  ])('%s is a syntax error: %s at %d', (source, reason, position) => {
    let error: unknown;
    try {
      parseExpression(source);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ImlSyntaxError);
    expect(error).toMatchObject({ reason, position });
  });

  it('refuses nesting deeper than its bound, whatever the construct', () => {
    const depth = MAX_NESTING + 10;
    for (const source of [
      `${'lower('.repeat(depth)}1${')'.repeat(depth)}`,
      `${'('.repeat(depth)}1${')'.repeat(depth)}`,
      `${'-'.repeat(depth)}1.a`,
      `${'!'.repeat(depth * 100)}true`,
    ]) {
      expect(() => parseExpression(source)).toThrow(/nested more than 64 levels deep/);
    }
    expect(() => parseExpression(`${'lower('.repeat(20)}1${')'.repeat(20)}`)).not.toThrow();
  });
});

describe('the real mapping strings of make-iml.md §2.9 and the help recipes', () => {
  it.each([
    'output-{{formatDate(now; "YYYYMMDD-HHmmss")}}.mp4',
    '{{last(map(40.data.items; "mediaLink"))}}',
    '{{3.data[].url}}',
    '{{map(1.Index; 1; last(1.Index))}}',
    '{{stripHTML(1.content)}}',
    '{{length(1.content)}}',
    '{{floor(5.body.PageCount / 2) + 1}}',
    '{{4.urls[]}}{{4.url}}',
    '{{addDays(4.properties.createdate; 7)}}',
    '{{now}}',
    '{{contains(lower(1.subject); "urgente")}}',
    '{{split(1.`3`; space)}}',
    '{{formatDate(7.value[].dataHoraCotacao; "MM/DD/YYYY")}}',
    '{{ifempty(3.`Meeting Bot Name`; "Make Meeting Bot")}}',
    '{{join(45.speakers; ", ")}}',
    `{{replace(42.json; """"; "'")}}`,
    '{{addDays(setDate(now; 1); -1)}}',
    '{{parseDate(parseDate(formatDate(now; "YYYYMM01"); "YYYYMMDD"; "UTC") - 1; "x")}}',
    '{{addDays(setDate(1.date; 1); 1.n * 7 - formatDate(addDays(setDate(1.date; 1); "-" + 1.dow); "E"))}}',
    '{{1.yoast_head_json.schema.`@graph`[].author.name}}',
    '{{1.answers.`2483a228`.textAnswers.answers[].value}}',
    '{{11.`__IMTLENGTH__`}}',
    '{{floor(random * (1.max - 1.min + 1)) + 1.min}}',
    '{{round((2.value - 1.value) / 1000 / 60 / 60 / 24)}}',
    '{{"...exp"":" + (timestamp + 60) + "}"}}',
    '{{replace(1.x; "/=/g"; emptystring)}}',
    '{{var.scenario.id}} {{var.scenario.executionUrl}} {{var.execution.id}}',
  ])('%s validates', (mapping) => {
    expect(findMappingProblems({ value: mapping })).toEqual([]);
  });
});

describe('templateOf', () => {
  it('splits text and expressions, with positions in the field', () => {
    const { parts, error } = templateOf('Hi {{1.name}}, {{upper("}}")}}!');
    expect(error).toBeUndefined();
    expect(parts.map((p) => (p.kind === 'text' ? p.text : `<${p.source}@${p.at}>`))).toEqual([
      'Hi ',
      '<1.name@5>',
      ', ',
      '<upper("}}")@17>',
      '!',
    ]);
  });

  it('keeps the first syntax error with its position in the whole string', () => {
    expect(templateOf('abc {{1 +}} {{2 +}}').error).toMatchObject({ position: 9 });
  });

  it('parses each distinct string once', () => {
    const text = '{{lower(1.cached)}}';
    expect(templateOf(text)).toBe(templateOf(text));
  });
});

describe('the parser under arbitrary input', () => {
  const pieces = [
    '{{',
    '}}',
    '(',
    ')',
    ';',
    '"',
    '""',
    '`',
    '1.a',
    '2.`b c`',
    '[1]',
    '[]',
    '[0]',
    'lower',
    'if',
    'ifempty',
    'map',
    ' ',
    '+',
    '-',
    '*',
    '/',
    '%',
    '=',
    '!=',
    '<',
    '>=',
    '&',
    '|',
    'and',
    'or',
    '!',
    'now',
    'uuid',
    ',',
    '.',
    '1',
    '0.5',
    'var',
    'var.scenario.id',
    'x',
    'constructor',
    '__proto__',
    'emptyarray',
    'é',
    '\n',
  ];
  const imlish = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((parts) => parts.join(''));

  it('throws nothing but ImlSyntaxError, for IML-like and for random text', () => {
    fc.assert(
      fc.property(fc.oneof(imlish, fc.string(), fc.string({ unit: 'binary' })), (source) => {
        try {
          parseExpression(source);
        } catch (err) {
          if (!(err instanceof ImlSyntaxError)) throw err;
          expect(err.position).toBeGreaterThanOrEqual(0);
          expect(err.position).toBeLessThanOrEqual(source.length);
        }
        templateOf(`{{${source}}}`);
      }),
      { numRuns: 1500 },
    );
  });
});
