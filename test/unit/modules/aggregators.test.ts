import { createDefaultRegistry, invokeAggregator, invokeModule, type ModuleExecution } from '../../../src/modules';

const registry = createDefaultRegistry();
const execution: ModuleExecution = { executionId: 'a'.repeat(32), moduleId: 5, bundleIndex: 0, attempt: 1 };
const aggregate = (
  type: string,
  parameters: unknown,
  items: unknown[],
  extra: { keys?: unknown[]; stopIfEmpty?: boolean } = {},
) => invokeAggregator(registry.get(type)!, { parameters, items, execution, stopIfEmpty: false, ...extra });

describe('builtin:BasicAggregator', () => {
  it('outputs the mapped items as array, with the total number of bundles', () => {
    expect(aggregate('builtin:BasicAggregator', { feeder: 2 }, [{ email: 'a' }, { email: 'b' }])).toEqual([
      { array: [{ email: 'a' }, { email: 'b' }], __IMTAGGLENGTH__: 2 },
    ]);
  });

  it('leaves out of an item a field that mapped to ignore', () => {
    expect(aggregate('builtin:BasicAggregator', { feeder: 2 }, [{ a: 1, b: undefined }])).toEqual([
      { array: [{ a: 1 }], __IMTAGGLENGTH__: 1 },
    ]);
  });

  it('outputs one bundle per group with its key', () => {
    const items = [{ n: 1 }, { n: 2 }, { n: 3 }];
    expect(aggregate('builtin:BasicAggregator', { feeder: 2 }, items, { keys: ['odd', 'even', 'odd'] })).toEqual([
      { __IMTKEY__: 'odd', array: [{ n: 1 }, { n: 3 }], __IMTAGGLENGTH__: 2 },
      { __IMTKEY__: 'even', array: [{ n: 2 }], __IMTAGGLENGTH__: 1 },
    ]);
  });

  it('outputs an empty array when nothing arrived, and nothing with stopIfEmpty', () => {
    expect(aggregate('builtin:BasicAggregator', { feeder: 2 }, [])).toEqual([{ array: [], __IMTAGGLENGTH__: 0 }]);
    expect(aggregate('builtin:BasicAggregator', { feeder: 2 }, [], { stopIfEmpty: true })).toEqual([]);
  });

  it('fails a missing source with an InvalidConfigurationError naming the module and field', () => {
    expect(() => aggregate('builtin:BasicAggregator', {}, [{}])).toThrow(
      expect.objectContaining({
        category: 'InvalidConfigurationError',
        moduleId: 5,
        message: expect.stringContaining('parameters.feeder'),
      }),
    );
  });

  it('is not run bundle by bundle', async () => {
    await expect(
      invokeModule(registry.get('builtin:BasicAggregator')!, { parameters: { feeder: 2 }, mapper: {}, execution }),
    ).rejects.toMatchObject({ category: 'InvalidConfigurationError' });
  });
});

describe('util:TextAggregator', () => {
  const items = [{ value: 'a' }, { value: 2 }, { value: null }, { value: true }];

  it('joins the values with nothing by default', () => {
    expect(aggregate('util:TextAggregator', { feeder: 2 }, items)).toEqual([{ text: 'a2true', __IMTAGGLENGTH__: 4 }]);
  });

  it('joins with a new row, a tab or another separator', () => {
    expect(aggregate('util:TextAggregator', { feeder: 2, rowSeparator: '\n' }, items)[0]?.text).toBe('a\n2\n\ntrue');
    expect(aggregate('util:TextAggregator', { feeder: 2, rowSeparator: '\t' }, items)[0]?.text).toBe('a\t2\t\ttrue');
    expect(
      aggregate('util:TextAggregator', { feeder: 2, rowSeparator: 'other', otherRowSeparator: ', ' }, items)[0]?.text,
    ).toBe('a, 2, , true');
  });

  it('fails a value that is not text with a DataError naming the bundle and field', () => {
    expect(() => aggregate('util:TextAggregator', { feeder: 2 }, [{ value: 'ok' }, { value: { a: 1 } }])).toThrow(
      expect.objectContaining({
        category: 'DataError',
        message: expect.stringMatching(/aggregated bundle 2: mapper\.value/),
      }),
    );
  });

  it('rejects an unknown row separator as configuration', () => {
    expect(() => aggregate('util:TextAggregator', { feeder: 2, rowSeparator: ';' }, [])).toThrow(
      expect.objectContaining({
        category: 'InvalidConfigurationError',
        message: expect.stringContaining('parameters.rowSeparator'),
      }),
    );
  });
});

describe('json:AggregateToJSON', () => {
  it('outputs the items as a JSON array', () => {
    expect(aggregate('json:AggregateToJSON', { feeder: 2 }, [{ a: 1 }, { a: 2, b: undefined }])).toEqual([
      { json: '[{"a":1},{"a":2}]', __IMTAGGLENGTH__: 2 },
    ]);
  });

  it('indents with space', () => {
    expect(aggregate('json:AggregateToJSON', { feeder: 2, space: '2' }, [{ a: 1 }])[0]?.json).toBe(
      '[\n  {\n    "a": 1\n  }\n]',
    );
    expect(aggregate('json:AggregateToJSON', { feeder: 2, space: 'tab' }, [{ a: 1 }])[0]?.json).toBe(
      '[\n\t{\n\t\t"a": 1\n\t}\n]',
    );
  });

  it('groups as the array aggregator does', () => {
    expect(aggregate('json:AggregateToJSON', { feeder: 2 }, [{ a: 1 }, { a: 2 }], { keys: ['x', 'y'] })).toEqual([
      { __IMTKEY__: 'x', json: '[{"a":1}]', __IMTAGGLENGTH__: 1 },
      { __IMTKEY__: 'y', json: '[{"a":2}]', __IMTAGGLENGTH__: 1 },
    ]);
  });
});
