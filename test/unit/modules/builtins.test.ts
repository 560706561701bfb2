import { evaluateMapping } from '../../../src/domain';
import { createDefaultRegistry, invokeModule, type ModuleExecution } from '../../../src/modules';

const registry = createDefaultRegistry();
const execution: ModuleExecution = { executionId: 'd'.repeat(32), moduleId: 2, bundleIndex: 0, attempt: 1 };
const run = (type: string, mapper: unknown, input?: unknown) =>
  invokeModule(registry.get(type)!, { parameters: {}, mapper, execution, input });

describe('gateway:CustomWebHook', () => {
  it('turns an array input into one bundle per item', async () => {
    await expect(run('gateway:CustomWebHook', {}, [{ a: 1 }, { a: 2 }, 'text'])).resolves.toEqual([
      { a: 1 },
      { a: 2 },
      { value: 'text' },
    ]);
  });

  it('turns an object input into one bundle, and no input into one empty bundle', async () => {
    await expect(run('gateway:CustomWebHook', {}, { email: 'a@b.c' })).resolves.toEqual([{ email: 'a@b.c' }]);
    await expect(run('gateway:CustomWebHook', {})).resolves.toEqual([{}]);
  });

  it('is a trigger', () => {
    expect(registry.get('gateway:CustomWebHook')?.trigger).toBe(true);
  });
});

describe('json:ParseJSON', () => {
  it('parses an object into one bundle', async () => {
    await expect(run('json:ParseJSON', { json: '{"a":{"b":[1,2]}}' })).resolves.toEqual([{ a: { b: [1, 2] } }]);
  });

  it('parses a top-level array into one bundle per item', async () => {
    await expect(run('json:ParseJSON', { json: '[{"a":1},2]' })).resolves.toEqual([{ a: 1 }, { value: 2 }]);
  });

  it('fails invalid JSON with a DataError', async () => {
    await expect(run('json:ParseJSON', { json: '{"a":' })).rejects.toMatchObject({
      category: 'DataError',
      message: expect.stringContaining('not valid JSON'),
    });
  });

  it('fails a missing json field with a DataError', async () => {
    await expect(run('json:ParseJSON', {})).rejects.toMatchObject({ category: 'DataError' });
  });
});

describe('util:SetVariable2', () => {
  it('outputs { [name]: value }, keeping the value type', async () => {
    await expect(run('util:SetVariable2', { name: 'total', scope: 'roundtrip', value: 42 })).resolves.toEqual([
      { total: 42 },
    ]);
  });

  it('stores a value that mapped to nothing as null', async () => {
    const mapper = evaluateMapping({ name: 'x', scope: 'execution', value: '{{1.missing}}' }, { '1': {} });
    await expect(run('util:SetVariable2', mapper)).resolves.toEqual([{ x: null }]);
  });

  it('rejects an unnamed variable and an unknown scope', async () => {
    await expect(run('util:SetVariable2', { name: '', value: 1 })).rejects.toMatchObject({ category: 'DataError' });
    await expect(run('util:SetVariable2', { name: 'a', scope: 'galaxy' })).rejects.toMatchObject({
      category: 'DataError',
    });
  });
});

describe('builtin:BasicFeeder', () => {
  it("outputs one bundle per item, shaped as Make's iterator", async () => {
    await expect(run('builtin:BasicFeeder', { array: [{ sku: 'a' }, 'b', [1]] })).resolves.toEqual([
      { sku: 'a', __IMTINDEX__: 1, __IMTLENGTH__: 3 },
      { value: 'b', __IMTINDEX__: 2, __IMTLENGTH__: 3 },
      { value: [1], __IMTINDEX__: 3, __IMTLENGTH__: 3 },
    ]);
  });

  it('outputs nothing for an empty or unmapped array', async () => {
    await expect(run('builtin:BasicFeeder', { array: [] })).resolves.toEqual([]);
    await expect(run('builtin:BasicFeeder', evaluateMapping({ array: '{{1.none}}' }, {}))).resolves.toEqual([]);
  });

  it('fails a value that is not an array with a DataError', async () => {
    await expect(run('builtin:BasicFeeder', { array: 'nope' })).rejects.toMatchObject({ category: 'DataError' });
  });
});
