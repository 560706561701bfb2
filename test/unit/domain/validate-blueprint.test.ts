import fc from 'fast-check';
import { validateBlueprint, type BlueprintValidationResult } from '../../../src/domain';
import { createDefaultRegistry } from '../../../src/modules';
import { makeExport } from '../fixtures/make-export';

const registry = createDefaultRegistry();

function errorsOf(result: BlueprintValidationResult) {
  if (result.ok) throw new Error('expected the blueprint to be rejected');
  return result.errors;
}

/** The export's blueprint with `change` applied to a deep copy. */
function exportWith(change: (blueprint: ReturnType<typeof makeExport>['blueprint']) => void) {
  const exported = makeExport();
  change(exported.blueprint);
  return exported;
}

describe('validateBlueprint', () => {
  it('accepts a real Make export that uses known modules, as it is', () => {
    const result = validateBlueprint(makeExport(), registry);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.blueprint.flow.map((m) => m.id)).toEqual([1, 2, 3]);
  });

  it('names an unknown module type and its id', () => {
    const errors = errorsOf(
      validateBlueprint(
        exportWith((b) => void (b.flow[1]!.module = 'google-sheets:addRow')),
        registry,
      ),
    );
    expect(errors).toEqual([
      {
        path: 'flow[1].module',
        moduleId: 2,
        message: 'module 2 (google-sheets:addRow): unknown module type "google-sheets:addRow"',
      },
    ]);
  });

  it('rejects duplicate module ids', () => {
    const errors = errorsOf(
      validateBlueprint(
        exportWith((b) => void (b.flow[2]!.id = 2)),
        registry,
      ),
    );
    expect(errors).toContainEqual({
      path: 'flow[2].id',
      moduleId: 2,
      message: 'module 2 (http:ActionSendData): module id 2 is used twice (flow[1] and flow[2])',
    });
  });

  it('rejects a mapping from a module that runs later', () => {
    const errors = errorsOf(
      validateBlueprint(
        exportWith((b) => void (b.flow[1]!.mapper.json = '{{3.data}}')),
        registry,
      ),
    );
    expect(errors).toEqual([
      {
        path: 'flow[1].mapper.json',
        moduleId: 2,
        message: 'module 2 (json:ParseJSON): maps {{3.data}} from module 3, which does not run before it',
      },
    ]);
  });

  it('rejects a mapping from a module that is not in the flow, naming the field', () => {
    const blueprint = exportWith((b) => void (b.flow[2]!.mapper.headers = [{ name: 'X', value: '{{9.token}}' }]));
    const errors = errorsOf(validateBlueprint(blueprint, registry));
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'flow[2].mapper.headers[0].value',
        moduleId: 3,
        message: expect.stringContaining('module 9, which is not in the flow'),
      }),
    ]);
  });

  it('rejects a module mapping from itself', () => {
    const errors = errorsOf(
      validateBlueprint(
        exportWith((b) => void (b.flow[1]!.mapper.json = '{{2.x}}')),
        registry,
      ),
    );
    expect(errors[0]?.message).toContain('does not run before it');
  });

  it("rejects bad parameters per the module's schema, naming the field", () => {
    const errors = errorsOf(
      validateBlueprint(
        exportWith((b) => void (b.flow[2]!.parameters.handleErrors = 7 as never)),
        registry,
      ),
    );
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'flow[2].parameters.handleErrors',
        moduleId: 3,
        message: expect.stringContaining('expected boolean'),
      }),
    ]);
  });

  it("rejects a bad static mapper field per the module's schema", () => {
    const errors = errorsOf(
      validateBlueprint(
        exportWith((b) => void (b.flow[2]!.mapper.method = 'teleport')),
        registry,
      ),
    );
    expect(errors).toEqual([expect.objectContaining({ path: 'flow[2].mapper.method', moduleId: 3 })]);
    const missing = errorsOf(
      validateBlueprint(
        exportWith((b) => void delete (b.flow[2]!.mapper as { url?: string }).url),
        registry,
      ),
    );
    expect(missing).toEqual([expect.objectContaining({ path: 'flow[2].mapper.url', moduleId: 3 })]);
  });

  it('leaves mapped fields to be checked at run time', () => {
    const blueprint = exportWith((b) => {
      b.flow[2]!.mapper.timeout = '{{2.timeout}}';
      (b.flow[2]!.mapper as Record<string, unknown>).headers = '{{2.headers}}';
    });
    expect(validateBlueprint(blueprint, registry).ok).toBe(true);
  });

  it('rejects an unsupported module version', () => {
    const errors = errorsOf(
      validateBlueprint(
        exportWith((b) => void (b.flow[2]!.version = 4)),
        registry,
      ),
    );
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'flow[2].version',
        message: expect.stringContaining('version 4 is not supported (supported: 3)'),
      }),
    ]);
  });

  it('rejects a trigger that is not the first module', () => {
    const blueprint = exportWith((b) => b.flow.push({ ...b.flow[0]!, id: 4 }));
    const errors = errorsOf(validateBlueprint(blueprint, registry));
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'flow[3].module',
        moduleId: 4,
        message: expect.stringContaining('must be the first module'),
      }),
    ]);
  });

  it('rejects an empty flow', () => {
    const errors = errorsOf(validateBlueprint({ name: 'x', flow: [] }, registry));
    expect(errors).toEqual([{ path: 'flow', message: 'a scenario needs at least one module (its trigger)' }]);
  });

  it('rejects filters, naming the module and the feature', () => {
    const blueprint = exportWith((b) =>
      Object.assign(b.flow[2]!, {
        filter: { name: 'paid only', conditions: [[{ a: '{{1.paid}}', o: 'boolean:equal', b: 'true' }]] },
      }),
    );
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      { path: 'flow[2].filter', moduleId: 3, message: 'module 3 (http:ActionSendData): filters are not supported yet' },
    ]);
  });

  it('rejects error handler routes', () => {
    const blueprint = exportWith((b) =>
      Object.assign(b.flow[2]!, { onerror: [{ id: 10, module: 'builtin:Break', version: 1 }] }),
    );
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      expect.objectContaining({
        path: 'flow[2].onerror',
        moduleId: 3,
        message: expect.stringContaining('error handler routes (onerror) are not supported yet'),
      }),
    ]);
  });

  it('rejects routers', () => {
    const blueprint = exportWith((b) =>
      b.flow.push({ id: 4, module: 'builtin:BasicRouter', version: 1, routes: [{ flow: [] }] } as never),
    );
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      { path: 'flow[3].routes', moduleId: 4, message: 'module 4 (builtin:BasicRouter): routers are not supported yet' },
    ]);
  });

  it('ignores empty filter, onerror and routes keys', () => {
    const blueprint = exportWith((b) => Object.assign(b.flow[2]!, { filter: null, onerror: [], routes: [] }));
    expect(validateBlueprint(blueprint, registry).ok).toBe(true);
  });

  it('rejects mapping functions it cannot evaluate yet', () => {
    const errors = errorsOf(
      validateBlueprint(
        exportWith((b) => void (b.flow[1]!.mapper.json = '{{now}}')),
        registry,
      ),
    );
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'flow[1].mapper.json',
        message: expect.stringContaining('{{now}} is not supported yet'),
      }),
    ]);
  });

  it('reports structural problems with the path and the module id when there is one', () => {
    const errors = errorsOf(validateBlueprint({ flow: [{ id: 5, module: 42 }] }, registry));
    expect(errors).toEqual([expect.objectContaining({ path: 'flow[0].module', moduleId: 5 })]);
    expect(errorsOf(validateBlueprint(null, registry))[0]?.path).toBe('');
  });
});

describe('validateBlueprint under fuzzing', () => {
  function assertWellFormed(result: BlueprintValidationResult) {
    if (result.ok) return;
    expect(result.errors.length).toBeGreaterThan(0);
    for (const error of result.errors) {
      expect(typeof error.path).toBe('string');
      expect(typeof error.message).toBe('string');
      expect(error.message).not.toMatch(/^internal validation error/);
    }
  }

  it('never throws on random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => assertWellFormed(validateBlueprint(value, registry))),
      { numRuns: 300 },
    );
  });

  it('never throws on random flows', () => {
    const anyModule = fc.record(
      {
        id: fc.oneof(fc.integer({ min: -2, max: 6 }), fc.string()),
        module: fc.constantFrom(...registry.list().map((m) => m.type), 'builtin:BasicRouter', 'x:Y', ''),
        version: fc.oneof(fc.integer(), fc.constant(3)),
        parameters: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.constant(null)),
        mapper: fc.dictionary(
          fc.constantFrom('url', 'json', 'array', 'name', 'value', 'headers'),
          fc.oneof(fc.jsonValue(), fc.constantFrom('{{1.a}}', '{{9.b[1]}}', '{{x}}', '{{')),
        ),
        filter: fc.jsonValue(),
      },
      { requiredKeys: ['id', 'module'] },
    );
    fc.assert(
      fc.property(fc.array(anyModule, { maxLength: 5 }), fc.jsonValue(), (flow, metadata) =>
        assertWellFormed(validateBlueprint({ name: 'fuzz', flow, metadata }, registry)),
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on mutations of a valid export', () => {
    const paths = (value: unknown, prefix: (string | number)[] = []): (string | number)[][] => {
      if (value === null || typeof value !== 'object') return [prefix];
      return [
        prefix,
        ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, Array.isArray(value) ? Number(k) : k])),
      ];
    };
    const allPaths = paths(makeExport());
    fc.assert(
      fc.property(
        fc.constantFrom(...allPaths),
        fc.oneof(fc.jsonValue(), fc.constant(undefined)),
        (path, replacement) => {
          const exported: unknown = makeExport();
          if (path.length === 0) return assertWellFormed(validateBlueprint(replacement, registry));
          let parent = exported as Record<string | number, unknown>;
          for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
          parent[path[path.length - 1]!] = replacement;
          assertWellFormed(validateBlueprint(exported, registry));
        },
      ),
      { numRuns: 400 },
    );
  });
});
