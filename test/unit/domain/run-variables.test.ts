import { RunState, usesRunState, type BlueprintModule } from '../../../src/domain';

const step = (id: number, module: string, extra: Partial<BlueprintModule> = {}): BlueprintModule => ({
  id,
  module,
  version: 1,
  parameters: {},
  mapper: {},
  ...extra,
});

describe('RunState', () => {
  it("keeps what Set modules set, the later one winning, and each Increment's last count", () => {
    const state = new RunState();
    state.record(step(2, 'util:SetVariable2'), { a: 1 });
    state.record(step(3, 'util:SetVariables'), { a: 2, b: 'x' });
    state.record(step(4, 'util:FunctionIncrement'), { i: 1 });
    state.record(step(4, 'util:FunctionIncrement'), { i: 2 });
    state.record(step(5, 'http:ActionSendData'), { a: 'not a variable' });
    expect(state.variables).toEqual({ a: 2, b: 'x' });
    expect(state.lastCount(4)).toBe(2);
    expect(state.lastCount(9)).toBe(0);
  });

  it('keeps a variable named __proto__ as a variable and skips a bundle kept by reference', () => {
    const state = new RunState();
    state.record(
      step(2, 'util:SetVariables'),
      JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>,
    );
    state.record(step(3, 'util:SetVariable2'), { $imexBlob: 'b1', bytes: 10 });
    expect(Object.getPrototypeOf(state.variables)).toBe(Object.prototype);
    expect(Object.keys(state.variables)).toEqual(['__proto__']);
  });

  it("restores an attempt's state from the stored bundles of the modules before the failed one", () => {
    const before = [step(1, 'gateway:CustomWebHook'), step(2, 'util:SetVariable2'), step(4, 'util:FunctionIncrement')];
    const state = RunState.restore(before, { '1': { v: 'x' }, '2': { v: 'y' }, '4': { i: 3 } });
    expect(state.variables).toEqual({ v: 'y' });
    expect(state.lastCount(4)).toBe(3);
  });
});

describe('usesRunState', () => {
  it('is true for a Get variable or an Increment anywhere, and not for a Set alone', () => {
    expect(usesRunState([step(1, 'util:SetVariable2')])).toBe(false);
    expect(usesRunState([step(1, 'builtin:BasicRouter', { routes: [{ flow: [step(2, 'util:GetVariable2')] }] })])).toBe(
      true,
    );
    expect(usesRunState([step(1, 'http:ActionSendData', { onerror: [step(2, 'util:FunctionIncrement')] })])).toBe(true);
  });
});
