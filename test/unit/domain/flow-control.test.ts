import {
  blueprintSchema,
  breakSchedule,
  breakSettings,
  defaultPolicyTable,
  findModulePosition,
  mergePolicyTable,
  usesFlowControl,
} from '../../../src/domain';

const blueprint = blueprintSchema.parse({
  flow: [
    { id: 1, module: 'gateway:CustomWebHook' },
    {
      id: 2,
      module: 'builtin:BasicRouter',
      routes: [
        {
          flow: [
            { id: 3, module: 'util:SetVariable2' },
            { id: 4, module: 'util:SetVariable2' },
          ],
        },
        {
          flow: [
            { id: 5, module: 'util:SetVariable2', onerror: [{ id: 9, module: 'builtin:Ignore' }] },
            { id: 6, module: 'builtin:BasicRouter', routes: [{ flow: [{ id: 7, module: 'util:SetVariable2' }] }] },
          ],
        },
      ],
    },
  ],
  metadata: { scenario: { imex: { policy: { DataError: { outcome: 'park-auto-retry' } }, schedule: '1s,2s' } } },
});

describe('findModulePosition', () => {
  test('finds a module inside nested routes, with the modules before it on its path', () => {
    const position = findModulePosition(blueprint.flow, 7);
    expect(position?.index).toBe(0);
    expect(position?.flow.map((m) => m.id)).toEqual([7]);
    expect(position?.before.map((m) => m.id)).toEqual([1, 2, 5, 6]);
    expect(findModulePosition(blueprint.flow, 4)?.before.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(findModulePosition(blueprint.flow, 1)?.before).toEqual([]);
  });

  test('never finds a module of an error-handler route, nor a missing one', () => {
    expect(findModulePosition(blueprint.flow, 9)).toBeUndefined();
    expect(findModulePosition(blueprint.flow, 99)).toBeUndefined();
  });
});

test('usesFlowControl sees routers, filters and handlers at any depth', () => {
  expect(usesFlowControl(blueprint.flow)).toBe(true);
  expect(
    usesFlowControl(blueprintSchema.parse({ flow: [{ id: 1, module: 'a:B', filter: null, onerror: [] }] }).flow),
  ).toBe(false);
});

describe('Break settings', () => {
  test("Make's defaults: no automatic completion, 3 attempts, 15 minutes", () => {
    expect(breakSettings({})).toEqual({ retry: false, count: 3, interval: 15 });
    expect(breakSchedule(breakSettings({}))).toEqual([900_000, 900_000, 900_000]);
  });

  test('text values from exports, fractions of a minute, nonsense falls back to defaults', () => {
    expect(breakSettings({ retry: 'true', count: '2', interval: '0.01' })).toEqual({
      retry: true,
      count: 2,
      interval: 0.01,
    });
    expect(breakSchedule({ retry: true, count: 2, interval: 0.01 })).toEqual([600, 600]);
    expect(breakSettings({ count: 0, interval: -5 })).toEqual({ retry: false, count: 3, interval: 15 });
  });
});

test("a scenario's policy overrides merge over the default table, row by row", () => {
  const table = mergePolicyTable(defaultPolicyTable, blueprint.metadata.scenario.imex?.policy);
  expect(table.DataError).toEqual({ inRun: defaultPolicyTable.DataError.inRun, outcome: 'park-auto-retry' });
  expect(table.ConnectionError).toBe(defaultPolicyTable.ConnectionError);
  expect(blueprint.metadata.scenario.imex?.schedule).toEqual([1000, 2000]);
});
