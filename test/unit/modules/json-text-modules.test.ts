import { evaluateMapping, validateBlueprint } from '../../../src/domain';
import { createDefaultRegistry, invokeModule, type ModuleExecution } from '../../../src/modules';

const registry = createDefaultRegistry();
const execution: ModuleExecution = { executionId: 'e'.repeat(32), moduleId: 2, bundleIndex: 0, attempt: 1 };
const run = (type: string, parameters: unknown, mapper: unknown) =>
  invokeModule(registry.get(type)!, { parameters, mapper, execution });

/** A webhook then one module: the validation errors of that module, if any. */
function validationErrorsOf(module: string, parameters: unknown, mapper: unknown) {
  const result = validateBlueprint(
    {
      name: 'one module',
      flow: [
        { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} },
        { id: 2, module, version: 1, parameters, mapper },
      ],
      metadata: {},
    },
    registry,
  );
  return result.ok ? [] : result.errors;
}

describe('json:CreateJSON', () => {
  it('serializes the mapped structure as { json }', async () => {
    const mapper = evaluateMapping(
      { name: '{{1.name}}', tags: ['a', '{{1.tag}}'], n: '{{1.n}}' },
      {
        '1': { name: 'Ada', tag: 'b', n: 3 },
      },
    );
    await expect(run('json:CreateJSON', { type: 7, space: '' }, mapper)).resolves.toEqual([
      { json: '{"name":"Ada","tags":["a","b"],"n":3}' },
    ]);
  });

  it('indents by space: tab, 2 and 4', async () => {
    await expect(run('json:CreateJSON', { space: 'tab' }, { a: 1 })).resolves.toEqual([{ json: '{\n\t"a": 1\n}' }]);
    await expect(run('json:CreateJSON', { space: '2' }, { a: 1 })).resolves.toEqual([{ json: '{\n  "a": 1\n}' }]);
    await expect(run('json:CreateJSON', { space: '4' }, { a: 1 })).resolves.toEqual([{ json: '{\n    "a": 1\n}' }]);
  });

  it('refuses an unknown space at validation, naming module and field', () => {
    expect(validationErrorsOf('json:CreateJSON', { space: '3' }, { a: 1 })).toEqual([
      expect.objectContaining({
        path: 'flow[1].parameters.space',
        message: expect.stringContaining('module 2 (json:CreateJSON)'),
      }),
    ]);
  });
});

describe('json:TransformToJSON', () => {
  it('serializes any mapped value: an object, a text, nothing', async () => {
    await expect(run('json:TransformToJSON', {}, { object: { a: [1, { b: null }] } })).resolves.toEqual([
      { json: '{"a":[1,{"b":null}]}' },
    ]);
    await expect(run('json:TransformToJSON', {}, { object: 'say "hi"' })).resolves.toEqual([
      { json: '"say \\"hi\\""' },
    ]);
    await expect(
      run('json:TransformToJSON', {}, evaluateMapping({ object: '{{1.none}}' }, { '1': {} })),
    ).resolves.toEqual([{ json: 'null' }]);
  });

  it('indents by space', async () => {
    await expect(run('json:TransformToJSON', { space: '2' }, { object: [1] })).resolves.toEqual([
      { json: '[\n  1\n]' },
    ]);
  });
});

describe('regexp:Parser', () => {
  const text = 'Order A-12 paid\norder b-7 open\nORDER C-3 paid';

  it('gives the first match only without global, with $n groups and i', async () => {
    await expect(run('regexp:Parser', { pattern: 'order (\\w)-(\\d+)', sensitive: false }, { text })).resolves.toEqual([
      { i: 1, $1: 'A', $2: '12' },
    ]);
  });

  it('gives one bundle per match with global', async () => {
    const bundles = await run(
      'regexp:Parser',
      { pattern: 'order (\\w)-(\\d+)', global: true, sensitive: false },
      { text },
    );
    expect(bundles).toEqual([
      { i: 1, $1: 'A', $2: '12' },
      { i: 2, $1: 'b', $2: '7' },
      { i: 3, $1: 'C', $2: '3' },
    ]);
  });

  it('is case sensitive by default', async () => {
    await expect(run('regexp:Parser', { pattern: 'order (\\w)', global: true }, { text })).resolves.toEqual([
      { i: 1, $1: 'b' },
    ]);
  });

  it('anchors ^ and $ at line breaks with multiline only', async () => {
    const pattern = '^(\\w+) \\S+ paid$';
    await expect(run('regexp:Parser', { pattern, global: true }, { text })).resolves.toEqual([]);
    await expect(run('regexp:Parser', { pattern, global: true, multiline: true }, { text })).resolves.toEqual([
      { i: 1, $1: 'Order' },
      { i: 2, $1: 'ORDER' },
    ]);
  });

  it('lets . match line breaks with singleline only', async () => {
    await expect(run('regexp:Parser', { pattern: 'paid(.)order' }, { text })).resolves.toEqual([]);
    await expect(run('regexp:Parser', { pattern: 'paid(.)order', singleline: true }, { text })).resolves.toEqual([
      { i: 1, $1: '\n' },
    ]);
  });

  it('names named groups, and a group that took no part is null', async () => {
    await expect(run('regexp:Parser', { pattern: '(?<letter>[A-Z])-(?<num>\\d+)(x)?' }, { text })).resolves.toEqual([
      { i: 1, $1: 'A', $2: '12', $3: null, letter: 'A', num: '12' },
    ]);
  });

  it('stops the route on no match, unless continueWhenNoRes', async () => {
    await expect(run('regexp:Parser', { pattern: 'zzz' }, { text })).resolves.toEqual([]);
    await expect(run('regexp:Parser', { pattern: 'zzz', continueWhenNoRes: true }, { text })).resolves.toEqual([{}]);
  });

  it('never loops on an empty match', async () => {
    await expect(run('regexp:Parser', { pattern: 'x*', global: true }, { text: 'ab' })).resolves.toHaveLength(3);
  });

  it('refuses a pattern that does not compile at validation, naming module and field', () => {
    expect(validationErrorsOf('regexp:Parser', { pattern: '(unclosed' }, { text: '{{1.text}}' })).toEqual([
      expect.objectContaining({
        path: 'flow[1].parameters.pattern',
        message: expect.stringMatching(/module 2 \(regexp:Parser\).*not a valid regular expression/),
      }),
    ]);
  });
});

describe('regexp:Replace', () => {
  it('replaces the first match, or every match with global, inserting groups', async () => {
    const mapper = { pattern: '(\\d+)', value: '<$1>', text: 'a1 b22 c333' };
    await expect(run('regexp:Replace', {}, mapper)).resolves.toEqual([{ text: 'a<1> b22 c333' }]);
    await expect(run('regexp:Replace', {}, { ...mapper, global: true })).resolves.toEqual([
      { text: 'a<1> b<22> c<333>' },
    ]);
  });

  it('honours sensitive and multiline', async () => {
    await expect(
      run(
        'regexp:Replace',
        {},
        { pattern: '^x', value: '-', text: 'X\nx', global: true, sensitive: false, multiline: true },
      ),
    ).resolves.toEqual([{ text: '-\n-' }]);
  });

  it('treats an empty new value and unmapped text as empty text', async () => {
    const mapper = evaluateMapping(
      { pattern: 'a', value: '{{1.none}}', text: '{{1.t}}', global: true },
      { '1': { t: 'banana' } },
    );
    await expect(run('regexp:Replace', {}, mapper)).resolves.toEqual([{ text: 'bnn' }]);
  });

  it('fails a mapped pattern that does not compile with a DataError naming mapper.pattern', async () => {
    await expect(run('regexp:Replace', {}, { pattern: '[', value: '', text: 'x' })).rejects.toMatchObject({
      category: 'DataError',
      message: expect.stringContaining('mapper.pattern'),
    });
  });
});
