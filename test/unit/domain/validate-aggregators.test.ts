import { validateBlueprint, type BlueprintValidationResult } from '../../../src/domain';
import { createDefaultRegistry } from '../../../src/modules';

const registry = createDefaultRegistry();
const webhook = { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} };
const iterator = (id: number, array = '{{1.items}}') => ({
  id,
  module: 'builtin:BasicFeeder',
  version: 1,
  parameters: {},
  mapper: { array },
});
const setVariable = (id: number, value: string) => ({
  id,
  module: 'util:SetVariable2',
  version: 1,
  parameters: {},
  mapper: { name: 'v', value },
});
const aggregator = (id: number, feeder: unknown, mapper: Record<string, unknown> = {}, extra = {}) => ({
  id,
  module: 'builtin:BasicAggregator',
  version: 1,
  parameters: { feeder },
  mapper,
  ...extra,
});
const validate = (flow: unknown[]) => validateBlueprint({ name: 'agg', flow, metadata: { scenario: {} } }, registry);

function errorsOf(result: BlueprintValidationResult) {
  if (result.ok) throw new Error('expected the blueprint to be rejected');
  return result.errors.map((e) => `${e.path}: ${e.message}`);
}

describe('validating aggregators', () => {
  it('accepts a Make-shaped array aggregator with group-by, mapped from its scope', () => {
    const result = validate([
      webhook,
      iterator(2),
      setVariable(3, '{{2.sku}}'),
      aggregator(4, 2, { sku: '{{3.v}}', n: '{{2.n}}' }, { flags: { groupBy: '{{2.type}}', stopIfEmpty: true } }),
      setVariable(5, '{{4.array}} {{1.order}}'),
    ]);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.blueprint.flow[3]).toMatchObject({ flags: { groupBy: '{{2.type}}' } });
  });

  it('names a missing source module', () => {
    expect(errorsOf(validate([webhook, iterator(2), aggregator(3, undefined)]))).toEqual([
      expect.stringMatching(/^flow\[2\]\.parameters\.feeder: module 3 \(builtin:BasicAggregator\): /),
    ]);
  });

  it('rejects a source that does not come before it in the same flow', () => {
    expect(errorsOf(validate([webhook, aggregator(2, 3), iterator(3)]))).toEqual([
      expect.stringContaining(
        'flow[1].parameters.feeder: module 2 (builtin:BasicAggregator): its source module 3 must come before it',
      ),
    ]);
  });

  it('rejects mapping the source or the scope after the aggregator (Make: not outputted)', () => {
    const errors = errorsOf(
      validate([
        webhook,
        iterator(2),
        setVariable(3, '{{2.sku}}'),
        aggregator(4, 2, { v: '{{3.v}}' }),
        setVariable(5, '{{3.v}}'),
      ]),
    );
    expect(errors).toEqual([
      expect.stringContaining(
        'flow[4].mapper.value: module 5 (util:SetVariable2): maps {{3.v}} from module 3, which does not run before it',
      ),
    ]);
  });

  it('rejects crossing scopes and a source with two aggregators', () => {
    const crossing = errorsOf(
      validate([webhook, iterator(2), iterator(3, '{{2.items}}'), aggregator(4, 2), aggregator(5, 3)]),
    );
    expect(crossing).toEqual([
      expect.stringContaining(
        'flow[4].parameters.feeder: module 5 (builtin:BasicAggregator): its scope (from module 3) crosses',
      ),
    ]);
    const twice = errorsOf(validate([webhook, iterator(2), aggregator(3, 2), aggregator(4, 2)]));
    expect(twice).toEqual([expect.stringContaining('module 2 is already the source of aggregator 3')]);
  });

  it('accepts nested scopes', () => {
    expect(
      validate([
        webhook,
        iterator(2),
        iterator(3, '{{2.items}}'),
        aggregator(4, 3, { x: '{{3.x}}' }),
        aggregator(5, 2, { a: '{{4.array}}' }),
      ]).ok,
    ).toBe(true);
  });

  it('checks the references of group-by and refuses an error-handler route', () => {
    const errors = errorsOf(
      validate([
        webhook,
        iterator(2),
        aggregator(
          3,
          2,
          {},
          {
            flags: { groupBy: '{{9.x}}' },
            onerror: [{ id: 7, module: 'builtin:Ignore', version: 1, parameters: {}, mapper: {} }],
          },
        ),
      ]),
    );
    expect(errors).toEqual([
      expect.stringContaining(
        'flow[2].onerror: module 3 (builtin:BasicAggregator): an aggregator cannot have an error-handler route',
      ),
      expect.stringContaining(
        'flow[2].flags.groupBy: module 3 (builtin:BasicAggregator): maps {{9.x}} from module 9, which is not in the flow',
      ),
    ]);
  });

  it('refuses an aggregator in an error-handler route', () => {
    const failing = { ...setVariable(3, '{{2.sku}}'), onerror: [aggregator(4, 2)] };
    expect(errorsOf(validate([webhook, iterator(2), failing]))).toContainEqual(
      expect.stringContaining(
        'flow[2].onerror[0].module: module 4 (builtin:BasicAggregator): an aggregator cannot sit in an error-handler route',
      ),
    );
  });

  it('checks the text aggregator row separator', () => {
    const text = {
      id: 3,
      module: 'util:TextAggregator',
      version: 1,
      parameters: { feeder: 2, rowSeparator: ';' },
      mapper: {},
    };
    expect(errorsOf(validate([webhook, iterator(2), text]))).toEqual([
      expect.stringContaining('flow[2].parameters.rowSeparator'),
    ]);
  });
});
