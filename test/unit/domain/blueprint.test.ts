import { blueprintSchema, unwrapBlueprintExport } from '../../../src/domain';
import { makeExport } from '../fixtures/make-export';

describe('the blueprint schema', () => {
  it("fills Make's defaults for everything an export leaves out", () => {
    const blueprint = blueprintSchema.parse({ flow: [{ id: 1, module: 'gateway:CustomWebHook' }] });
    expect(blueprint.name).toBe('');
    expect(blueprint.flow[0]).toEqual({
      id: 1,
      module: 'gateway:CustomWebHook',
      version: 1,
      parameters: {},
      mapper: {},
    });
    expect(blueprint.metadata.scenario).toEqual({
      dlq: false,
      sequential: false,
      dataloss: false,
      confidential: false,
      maxErrors: 3,
      autoCommit: true,
      autoCommitTriggerLast: true,
      roundtrips: 1,
      slots: null,
      freshVariables: false,
    });
  });

  it('treats a null mapper or parameters as empty', () => {
    const blueprint = blueprintSchema.parse({ flow: [{ id: 1, module: 'a:B', parameters: null, mapper: null }] });
    expect(blueprint.flow[0]).toMatchObject({ parameters: {}, mapper: {} });
  });

  it('keeps designer, restore, expect and unknown keys of a real export', () => {
    const exported = makeExport();
    const blueprint = blueprintSchema.parse(unwrapBlueprintExport(exported));
    expect(blueprint.metadata.designer).toEqual({ orphans: [] });
    expect(blueprint.metadata).toMatchObject({ instant: true, zone: 'eu1.make.com' });
    expect(blueprint.metadata.scenario.dlq).toBe(true);
    expect(blueprint.flow[2]?.metadata).toEqual(exported.blueprint.flow[2]?.metadata);
    expect(blueprint.flow[2]?.mapper).toMatchObject({ useMtls: false, serializeUrl: false });
  });

  it('rejects a flow without modules and ids that are not positive integers', () => {
    expect(blueprintSchema.safeParse({ flow: [] }).success).toBe(false);
    expect(blueprintSchema.safeParse({ flow: [{ id: 0, module: 'a:B' }] }).success).toBe(false);
    expect(blueprintSchema.safeParse({ flow: [{ id: 1.5, module: 'a:B' }] }).success).toBe(false);
  });
});

describe('unwrapBlueprintExport', () => {
  it('unwraps { blueprint, scheduling } and JSON text, and leaves a bare blueprint alone', () => {
    const exported = makeExport();
    expect(unwrapBlueprintExport(exported)).toBe(exported.blueprint);
    expect(unwrapBlueprintExport(JSON.stringify(exported))).toEqual(exported.blueprint);
    expect(unwrapBlueprintExport({ blueprint: JSON.stringify(exported.blueprint) })).toEqual(exported.blueprint);
    expect(unwrapBlueprintExport(exported.blueprint)).toBe(exported.blueprint);
    expect(unwrapBlueprintExport('not json')).toBe('not json');
  });
});
