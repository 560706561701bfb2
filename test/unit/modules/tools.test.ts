import { createDefaultRegistry, invokeModule, type ModuleExecution } from '../../../src/modules';

const registry = createDefaultRegistry();
const execution: ModuleExecution = { executionId: 'e'.repeat(32), moduleId: 6, bundleIndex: 0, attempt: 1 };
const run = (type: string, mapper: unknown, parameters: unknown = {}) =>
  invokeModule(registry.get(type)!, { parameters, mapper, execution });

describe('builtin:BasicRepeater', () => {
  it('outputs repeats bundles { i } from start by step', async () => {
    await expect(run('builtin:BasicRepeater', { start: 5, repeats: 3, step: -2 })).resolves.toEqual([
      { i: 5 },
      { i: 3 },
      { i: 1 },
    ]);
  });

  it('starts at 1 by 1 by default, takes numbers as text, and outputs nothing for 0 repeats', async () => {
    await expect(run('builtin:BasicRepeater', { repeats: '2' })).resolves.toEqual([{ i: 1 }, { i: 2 }]);
    await expect(run('builtin:BasicRepeater', { repeats: 0 })).resolves.toEqual([]);
  });

  it("fails repeats beyond Make's 10000 with a DataError naming the field", async () => {
    await expect(run('builtin:BasicRepeater', { repeats: 10_001 })).rejects.toMatchObject({
      category: 'DataError',
      moduleId: 6,
      message: expect.stringContaining('mapper.repeats: repeats is 0 to 10000'),
    });
  });
});

describe('util:SetVariables', () => {
  it('outputs one field per variable, nothing as null, the last of a name winning', async () => {
    const variables = [
      { name: 'a', value: 1 },
      { name: 'b' },
      { name: 'a', value: 'again' },
      { name: '__proto__', value: 'safe' },
    ];
    const [bundle] = await run('util:SetVariables', { variables, scope: 'execution' });
    expect(bundle).toEqual(
      Object.fromEntries([
        ['a', 'again'],
        ['b', null],
        ['__proto__', 'safe'],
      ]),
    );
    expect(Object.getPrototypeOf(bundle)).toBe(Object.prototype);
  });

  it('fails a variable without a name, naming the field', async () => {
    await expect(run('util:SetVariables', { variables: [{ value: 1 }] })).rejects.toMatchObject({
      category: 'DataError',
      message: expect.stringContaining('mapper.variables[0].name'),
    });
  });
});

describe('util:Switcher', () => {
  const casesTable = [
    { pattern: 'red', output: 'stop' },
    { pattern: 'green', output: 'go' },
    { pattern: 'green', output: 'never' },
  ];

  it('outputs the first matching case', async () => {
    await expect(run('util:Switcher', { input: 'green', casesTable })).resolves.toEqual([{ output: 'go' }]);
  });

  it('outputs elseOutput when nothing matches, and no bundle without an else', async () => {
    await expect(run('util:Switcher', { input: 'blue', casesTable, elseOutput: 'wait' })).resolves.toEqual([
      { output: 'wait' },
    ]);
    await expect(run('util:Switcher', { input: 'blue', casesTable })).resolves.toEqual([]);
  });

  it('matches regular expressions with useRegExpMatch, and compares numbers as text', async () => {
    const regexCases = [{ pattern: '^\\d+$', output: 'number' }];
    await expect(run('util:Switcher', { input: '123', useRegExpMatch: true, casesTable: regexCases })).resolves.toEqual(
      [{ output: 'number' }],
    );
    await expect(run('util:Switcher', { input: 7, casesTable: [{ pattern: '7', output: 'seven' }] })).resolves.toEqual([
      { output: 'seven' },
    ]);
  });

  it('fails a pattern that is not a regular expression with a DataError naming the case', async () => {
    await expect(
      run('util:Switcher', { input: 'x', useRegExpMatch: true, casesTable: [{ pattern: 'a' }, { pattern: '(' }] }),
    ).rejects.toMatchObject({ category: 'DataError', message: expect.stringContaining('casesTable[1].pattern') });
  });
});

describe('util:ComposeTransformer', () => {
  it('outputs the value as text', async () => {
    await expect(run('util:ComposeTransformer', { value: 'Hello world!' })).resolves.toEqual([
      { value: 'Hello world!' },
    ]);
    await expect(run('util:ComposeTransformer', { value: 42 })).resolves.toEqual([{ value: '42' }]);
    await expect(run('util:ComposeTransformer', {})).resolves.toEqual([{ value: '' }]);
    await expect(run('util:ComposeTransformer', { value: { a: [1] } })).resolves.toEqual([{ value: '{"a":[1]}' }]);
  });
});

describe('util:GetVariable2 and util:GetVariables', () => {
  const runState = { variables: { a: 1, b: 'two' } };
  const get = (type: string, mapper: unknown) =>
    invokeModule(registry.get(type)!, { parameters: {}, mapper, execution, runState });

  it('reads a variable the run set, and null for one not set', async () => {
    await expect(get('util:GetVariable2', { name: 'b' })).resolves.toEqual([{ b: 'two' }]);
    await expect(get('util:GetVariable2', { name: 'toString' })).resolves.toEqual([{ toString: null }]);
  });

  it('reads several, as { name } items or names', async () => {
    await expect(get('util:GetVariables', { variables: [{ name: 'a' }, 'b', 'c'] })).resolves.toEqual([
      { a: 1, b: 'two', c: null },
    ]);
  });

  it('fails a nameless variable with a DataError naming the field', async () => {
    await expect(get('util:GetVariable2', { name: '' })).rejects.toMatchObject({
      category: 'DataError',
      message: expect.stringContaining('mapper.name'),
    });
  });
});

describe('util:FunctionIncrement', () => {
  it('outputs 1 first, then one more than its last count', async () => {
    const increment = (lastCount?: number) =>
      invokeModule(registry.get('util:FunctionIncrement')!, {
        parameters: { reset: 'execution' },
        mapper: {},
        execution,
        ...(lastCount === undefined ? {} : { runState: { lastCount } }),
      });
    await expect(increment()).resolves.toEqual([{ i: 1 }]);
    await expect(increment(4)).resolves.toEqual([{ i: 5 }]);
  });

  it('rejects reset "scenario" (never) as not supported, naming the field', async () => {
    await expect(
      invokeModule(registry.get('util:FunctionIncrement')!, {
        parameters: { reset: 'scenario' },
        mapper: {},
        execution,
      }),
    ).rejects.toMatchObject({
      category: 'InvalidConfigurationError',
      message: expect.stringContaining('parameters.reset: reset is "run" or "execution"'),
    });
  });
});
