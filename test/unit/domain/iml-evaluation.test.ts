/**
 * Evaluation beyond single expressions: Make's DataError messages, determinism of now, random,
 * uuid and shuffle, and the sandbox (no prototype access, bounded work) under arbitrary input.
 */
import fc from 'fast-check';
import { evaluateMapping, ImlMappingError } from '../../../src/domain';
import { WORK_LIMIT } from '../../../src/domain/iml';
import { context, testEnvironment } from './iml-fixtures';

function failure(mapper: unknown, env = testEnvironment()): ImlMappingError {
  try {
    evaluateMapping(mapper, context, env);
  } catch (err) {
    if (err instanceof ImlMappingError) return err;
    throw err;
  }
  throw new Error('expected the mapping to fail');
}

describe('DataError messages (make-iml.md §5)', () => {
  it.each([
    [
      '{{ifempty(parseJSON(1.name); 1)}}',
      "Failed to map 'value': Function 'ifempty' finished with error! Function 'parseJSON' not found!",
    ],
    [
      '{{parseDate("abc"; "YYYY-MM-DD")}}',
      "Failed to map 'value': Function 'parseDate' finished with error! 'abc' is not a valid date for the format 'YYYY-MM-DD'.",
    ],
    [
      '{{formatDate("not a date"; "YYYY")}}',
      "Failed to map 'value': Function 'formatDate' finished with error! 'not a date' is not a valid date.",
    ],
    [
      '{{upper(formatDate("nope"; "YYYY"))}}',
      "Failed to map 'value': Function 'upper' finished with error! Function 'formatDate' finished with error! 'nope' is not a valid date.",
    ],
    [
      '{{abs("x")}}',
      "Failed to map 'value': Function 'abs' finished with error! 'x' is not a valid number (argument 1).",
    ],
    [
      '{{parseNumber("abc")}}',
      "Failed to map 'value': Function 'parseNumber' finished with error! 'abc' is not a valid number.",
    ],
    ['{{"a" * 2}}', "Failed to map 'value': Operator '*' finished with error! 'a' is not a valid number."],
    ['{{1 / 0}}', "Failed to map 'value': Operator '/' finished with error! Division by zero."],
    ['{{1.items[0]}}', "Failed to map 'value': Syntax error: array indexes start at 1"],
    [
      '{{replace("a"; "/(/"; "b")}}',
      "Failed to map 'value': Function 'replace' finished with error! Invalid regular expression /(/",
    ],
    [
      '{{arrayDifference(1.a5; 1.b5; both)}}',
      "Failed to map 'value': Function 'arrayDifference' finished with error! 'both' is not a valid mode",
    ],
    ['{{constructor(1)}}', "Failed to map 'value': Function 'constructor' not found!"],
  ])('%s', (template, message) => {
    expect(failure({ value: template }).message).toEqual(expect.stringContaining(message));
  });

  it('names the field by its path in the mapper', () => {
    const error = failure({
      headers: [
        { name: 'a', value: 'ok' },
        { name: 'b', value: '{{parseDate("x"; "YYYY")}}' },
      ],
    });
    expect(error.field).toBe('headers.1.value');
    expect(error.message).toMatch(/^Failed to map 'headers\.1\.value': Function 'parseDate' finished with error!/);
    expect(error.cause.functionName).toBe('parseDate');
    expect(error.cause.position).toBe(2);
  });

  it('hash functions need the activity: the workflow has no crypto', () => {
    expect(failure({ value: '{{md5("x")}}' }, testEnvironment({ withDigest: false })).message).toContain(
      'Hash functions are evaluated in the module activity',
    );
  });

  it('a branch that is not taken is not evaluated', () => {
    expect(evaluateMapping({ v: '{{if(true; 1; parseDate("x"; "Y"))}}' }, context, testEnvironment())).toEqual({
      v: 1,
    });
    expect(evaluateMapping({ v: '{{ifempty(1.name; 1 / 0)}}' }, context, testEnvironment())).toEqual({ v: 'Ada' });
  });
});

describe('determinism', () => {
  const mapper = {
    r: '{{random}}',
    u: '{{uuid}}',
    u2: '{{uuid}}',
    s: '{{shuffle(1.a5)}}',
    n: '{{now}}',
    t: '{{timestamp}}',
  };

  it('the same seed and clock map the same values; a different seed others', () => {
    const first = evaluateMapping(mapper, context, testEnvironment({ seed: 'exec:2:0' })) as Record<string, unknown>;
    const again = evaluateMapping(mapper, context, testEnvironment({ seed: 'exec:2:0' }));
    const other = evaluateMapping(mapper, context, testEnvironment({ seed: 'exec:2:1' })) as Record<string, unknown>;
    expect(again).toEqual(first);
    expect(other.u).not.toBe(first.u);
    expect(first.u).not.toBe(first.u2);
    expect(first.u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.r).toBeGreaterThanOrEqual(0);
    expect(first.r).toBeLessThan(1);
    expect(first.n).toBe('2026-01-15T10:30:45.123Z');
    expect(first.t).toBe(1768473045);
    expect([...(first.s as number[])].sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('floor(random * 6) + 1 is a die roll', () => {
    const rolls = new Set<unknown>();
    for (let i = 0; i < 200; i++) {
      rolls.add(evaluateMapping('{{floor(random * 6) + 1}}', context, testEnvironment({ seed: `roll-${i}` })));
    }
    expect([...rolls].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('the sandbox', () => {
  it('reaches no prototype through paths, functions or keys', () => {
    const mapped = evaluateMapping(
      {
        a: '{{1.constructor.name}}',
        b: '{{get(1.user; "constructor.prototype")}}',
        c: '{{toCollection(1.people; "name"; "__proto__")}}',
        d: '{{map(1.items; "__proto__")}}',
        e: '{{pick(1.user; "__proto__"; "constructor")}}',
        f: '{{length(1.name.length)}}',
      },
      context,
      testEnvironment(),
    );
    expect(mapped).toEqual({ c: { Bob: undefined, Tim: undefined }, d: [], e: {}, f: 0 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses huge split and map inputs with a clear error instead of working on', () => {
    const big = { '1': { text: 'a,'.repeat(150_000), list: Array.from({ length: 150_000 }, (_, i) => ({ i })) } };
    expect(() => evaluateMapping('{{split(1.text; ",")}}', big, testEnvironment())).toThrow(
      /An array of more than 100000 items is refused/,
    );
    expect(() => evaluateMapping('{{map(1.list; "i")}}', big, testEnvironment())).toThrow(
      /An array of more than 100000 items is refused/,
    );
  });

  it('bounds the total work of one mapper', () => {
    const list = { '1': { list: Array.from({ length: 90_000 }, (_, i) => i) } };
    const heavy = '{{length(map(1.list; "x"))}}';
    expect(WORK_LIMIT).toBeLessThan(90_000 * 60);
    expect(evaluateMapping(Array(5).fill(heavy), list, testEnvironment())).toEqual([0, 0, 0, 0, 0]);
    expect(() => evaluateMapping(Array(60).fill(heavy), list, testEnvironment())).toThrow(/more work than allowed/);
  });

  const pieces = [
    '1.a',
    '1.items',
    '1.user',
    '1.numbers',
    '1.constructor',
    '"__proto__"',
    '"x"',
    '1',
    '-1',
    '0',
    'now',
    'random',
    'uuid',
    'emptyarray',
    'null',
    'lower(',
    'map(',
    'get(',
    'split(',
    'join(',
    'sort(',
    'toCollection(',
    'if(',
    'ifempty(',
    'formatDate(',
    'parseDate(',
    'pick(',
    'merge(',
    'replace(',
    'flatten(',
    'add(',
    'keys(',
    ')',
    ';',
    ' + ',
    ' - ',
    ' * ',
    ' / ',
    ' = ',
    ' & ',
    ' | ',
    '!',
    '(',
    '"YYYY"',
    '"/a+/g"',
    'name',
  ];
  const expression = fc
    .array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 30 })
    .map((parts) => `{{${parts.join('')}}}`);

  it('evaluates arbitrary expressions to a value or a mapping error, nothing else', () => {
    fc.assert(
      fc.property(expression, (template) => {
        try {
          evaluateMapping({ v: template }, context, testEnvironment());
        } catch (err) {
          if (!(err instanceof ImlMappingError)) throw err;
        }
        expect(Object.prototype).not.toHaveProperty('x');
        expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('name');
      }),
      { numRuns: 1500 },
    );
  });
});
