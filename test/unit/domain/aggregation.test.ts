import {
  aggregationScopes,
  aggregatorIndexOf,
  aggregatorSettings,
  enclosingScopes,
  groupAggregatedItems,
  scopeModuleIds,
  usesAggregators,
  type BlueprintModule,
} from '../../../src/domain';

const step = (id: number, type = 'http:ActionSendData', extra: Partial<BlueprintModule> = {}): BlueprintModule => ({
  id,
  module: type,
  version: 1,
  parameters: {},
  mapper: {},
  ...extra,
});
const aggregator = (id: number, feeder: number | string, flags?: unknown) =>
  step(id, 'builtin:BasicAggregator', { parameters: { feeder }, ...(flags ? { flags } : {}) });

describe('groupAggregatedItems', () => {
  it('puts every item in one group, in arrival order, without group-by', () => {
    expect(groupAggregatedItems([{ item: 'a' }, { item: 'b' }], { grouped: false, stopIfEmpty: false })).toEqual([
      { items: ['a', 'b'] },
    ]);
  });

  it('still outputs one empty aggregation when nothing arrived (Make default)', () => {
    expect(groupAggregatedItems([], { grouped: false, stopIfEmpty: false })).toEqual([{ items: [] }]);
  });

  it('outputs nothing for an empty aggregation with "stop processing after an empty aggregation"', () => {
    expect(groupAggregatedItems([], { grouped: false, stopIfEmpty: true })).toEqual([]);
  });

  it('makes one group per distinct key, ordered by first arrival', () => {
    const entries = [
      { item: 1, key: 'b' },
      { item: 2, key: 'a' },
      { item: 3, key: 'b' },
      { item: 4, key: { x: 1 } },
      { item: 5, key: { x: 1 } },
    ];
    expect(groupAggregatedItems(entries, { grouped: true, stopIfEmpty: false })).toEqual([
      { key: 'b', items: [1, 3] },
      { key: 'a', items: [2] },
      { key: { x: 1 }, items: [4, 5] },
    ]);
  });

  it('keeps 1 and "1" apart and puts a key that mapped to nothing with null', () => {
    const entries = [
      { item: 'n', key: 1 },
      { item: 's', key: '1' },
      { item: 'u', key: undefined },
      { item: 'z', key: null },
    ];
    expect(groupAggregatedItems(entries, { grouped: true, stopIfEmpty: false })).toEqual([
      { key: 1, items: ['n'] },
      { key: '1', items: ['s'] },
      { key: null, items: ['u', 'z'] },
    ]);
  });

  it('has no group for a grouped aggregation of nothing', () => {
    expect(groupAggregatedItems([], { grouped: true, stopIfEmpty: false })).toEqual([]);
  });
});

describe('aggregatorSettings', () => {
  it('reads the source, group-by and stop flag as Make exports them', () => {
    expect(aggregatorSettings(aggregator(5, '2', { groupBy: '{{2.type}}', stopIfEmpty: true }))).toEqual({
      feeder: 2,
      groupBy: '{{2.type}}',
      stopIfEmpty: true,
    });
  });

  it('treats an empty group-by as none and an unusable feeder as missing', () => {
    expect(aggregatorSettings(aggregator(5, 'x', { groupBy: '' }))).toEqual({
      feeder: undefined,
      groupBy: undefined,
      stopIfEmpty: false,
    });
  });
});

describe('aggregation scopes', () => {
  // 1 → 2 iterator → 3 iterator → 4 → 5 aggregates 3 → 6 aggregates 2 → 7
  const flow = [
    step(1),
    step(2, 'builtin:BasicFeeder'),
    step(3, 'builtin:BasicFeeder'),
    step(4),
    aggregator(5, 3),
    aggregator(6, 2),
    step(7),
  ];

  it('finds each scope and the aggregator of a source', () => {
    expect(aggregationScopes(flow)).toEqual([
      { feederIndex: 2, aggregatorIndex: 4 },
      { feederIndex: 1, aggregatorIndex: 5 },
    ]);
    expect(aggregatorIndexOf(flow, 1)).toBe(5);
    expect(aggregatorIndexOf(flow, 3)).toBeUndefined();
  });

  it('lists the scopes around a module, innermost first', () => {
    expect(enclosingScopes(flow, 3)).toEqual([
      { feederIndex: 2, aggregatorIndex: 4 },
      { feederIndex: 1, aggregatorIndex: 5 },
    ]);
    expect(enclosingScopes(flow, 2)).toEqual([{ feederIndex: 1, aggregatorIndex: 5 }]);
    // The source itself and the modules after the aggregator are outside its scope.
    expect(enclosingScopes(flow, 1)).toEqual([]);
    expect(enclosingScopes(flow, 6)).toEqual([]);
  });

  it('names the modules the flow after an aggregator no longer sees', () => {
    expect(scopeModuleIds(flow, { feederIndex: 1, aggregatorIndex: 5 })).toEqual([2, 3, 4, 5]);
  });

  it('notices an aggregator in a route', () => {
    expect(usesAggregators([step(1), step(9, 'builtin:BasicRouter', { routes: [{ flow: [aggregator(2, 1)] }] })])).toBe(
      true,
    );
    expect(usesAggregators([step(1), step(2, 'builtin:BasicFeeder')])).toBe(false);
  });
});
