import fc from 'fast-check';
import {
  BLUEPRINT_MAX_MODULES,
  BLUEPRINT_MAX_NESTING,
  validateBlueprint,
  type BlueprintValidationResult,
} from '../../../src/domain';
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

  it('ignores empty filter, onerror and routes keys', () => {
    const blueprint = exportWith((b) => Object.assign(b.flow[2]!, { filter: null, onerror: [], routes: [] }));
    expect(validateBlueprint(blueprint, registry).ok).toBe(true);
  });

  it('accepts IML functions, operators and keywords in mappers', () => {
    const blueprint = exportWith(
      (b) => void (b.flow[1]!.mapper.json = '{{formatDate(now; "YYYY-MM-DD")}}-{{ifempty(1.name; "n/a")}}'),
    );
    expect(validateBlueprint(blueprint, registry).ok).toBe(true);
  });

  it('rejects a syntax error or an unknown function with the module, the field and the position', () => {
    const errors = errorsOf(
      validateBlueprint(
        exportWith((b) => {
          b.flow[1]!.mapper.json = 'x {{lower(1.a}}';
          b.flow[2]!.mapper.url = '{{parseJSON(1.a)}}';
        }),
        registry,
      ),
    );
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'flow[1].mapper.json',
        moduleId: expect.any(Number),
        message: expect.stringContaining("{{lower(1.a}}: syntax error: expected ')' at position 13"),
      }),
      expect.objectContaining({
        path: 'flow[2].mapper.url',
        message: expect.stringContaining("{{parseJSON(1.a)}}: unknown function 'parseJSON' at position 2"),
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

describe('validateBlueprint: filters, routers and error handlers', () => {
  const webhook = { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} };
  const setVar = (id: number, value = '{{1.x}}', extra: Record<string, unknown> = {}) => ({
    id,
    module: 'util:SetVariable2',
    version: 1,
    mapper: { name: 'v', value },
    ...extra,
  });
  const bp = (flow: unknown[], scenario: Record<string, unknown> = {}) => ({ name: 't', flow, metadata: { scenario } });

  it('accepts filters, routers with filtered routes and every directive', () => {
    const blueprint = bp(
      [
        webhook,
        setVar(2, '{{1.x}}', {
          filter: { name: 'has x', conditions: [[{ a: '{{1.x}}', o: 'exist' }]] },
          onerror: [setVar(20, '{{2.error.message}}'), { id: 21, module: 'builtin:Resume', mapper: { v: '{{20.v}}' } }],
        }),
        {
          id: 3,
          module: 'builtin:BasicRouter',
          version: 1,
          routes: [
            {
              flow: [
                setVar(4, '{{2.v}}', { filter: { conditions: [[{ a: '{{1.kind}}', o: 'text:equal:ci', b: 'a' }]] } }),
                setVar(5, '{{4.v}}', {
                  onerror: [{ id: 50, module: 'builtin:Break', mapper: { retry: true, count: 2, interval: 0.5 } }],
                }),
              ],
            },
            { flow: [setVar(6, '{{2.v}}', { onerror: [{ id: 60, module: 'builtin:Ignore' }] })] },
            {
              flow: [
                setVar(7, '', { onerror: [{ id: 70, module: 'builtin:Commit' }] }),
                setVar(8, '', { onerror: [{ id: 80, module: 'builtin:Rollback' }] }),
              ],
            },
          ],
        },
      ],
      { dlq: true },
    );
    const result = validateBlueprint(blueprint, registry);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('names the module and the field of an unknown filter operator', () => {
    const blueprint = bp([
      webhook,
      setVar(2, '', { filter: { conditions: [[{ a: '{{1.x}}', o: 'text:equals', b: 'y' }]] } }),
    ]);
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      {
        path: 'flow[1].filter.conditions[0][0].o',
        moduleId: 2,
        message: 'module 2 (util:SetVariable2): unknown filter operator "text:equals"',
      },
    ]);
  });

  it('names a filter condition without an operator', () => {
    const blueprint = bp([webhook, setVar(2, '', { filter: { conditions: [[{ a: 'x' }]] } })]);
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      { path: 'flow[1].filter.conditions[0][0].o', moduleId: 2, message: 'a condition needs an operator (o)' },
    ]);
  });

  it('rejects a filter or a module that maps from another route or a later module', () => {
    const blueprint = bp([
      webhook,
      {
        id: 3,
        module: 'builtin:BasicRouter',
        routes: [
          { flow: [setVar(4)] },
          { flow: [setVar(5, '{{4.v}}', { filter: { conditions: [[{ a: '{{6.v}}', o: 'exist' }]] } })] },
        ],
      },
    ]);
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      expect.objectContaining({
        path: 'flow[1].routes[1].flow[0].filter.conditions[0][0].a',
        moduleId: 5,
        message: expect.stringContaining('module 6, which is not in the flow'),
      }),
      expect.objectContaining({
        path: 'flow[1].routes[1].flow[0].mapper.value',
        moduleId: 5,
        message: expect.stringContaining('from module 4, which does not run before it'),
      }),
    ]);
  });

  it('rejects duplicate ids across routes and error handlers', () => {
    const blueprint = bp([
      webhook,
      setVar(2, '', { onerror: [{ id: 4, module: 'builtin:Ignore' }] }),
      { id: 3, module: 'builtin:BasicRouter', routes: [{ flow: [setVar(4)] }] },
    ]);
    expect(errorsOf(validateBlueprint(blueprint, registry))).toContainEqual(
      expect.objectContaining({
        path: 'flow[2].routes[0].flow[0].id',
        moduleId: 4,
        message: expect.stringContaining(
          'module id 4 is used twice (flow[1].onerror[0] and flow[2].routes[0].flow[0])',
        ),
      }),
    );
  });

  it('rejects a router that is not the last module of its flow, or has no routes', () => {
    const blueprint = bp([webhook, { id: 3, module: 'builtin:BasicRouter', routes: [] }, setVar(4)]);
    const errors = errorsOf(validateBlueprint(blueprint, registry));
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'flow[1].module',
        moduleId: 3,
        message: expect.stringContaining('must be the last module'),
      }),
      expect.objectContaining({
        path: 'flow[1].routes',
        moduleId: 3,
        message: expect.stringContaining('at least one route'),
      }),
    ]);
  });

  it('rejects routes on a module that is not a router, and directives outside error-handler routes', () => {
    const blueprint = bp([webhook, setVar(2, '', { routes: [{ flow: [] }] }), { id: 3, module: 'builtin:Ignore' }]);
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      expect.objectContaining({
        path: 'flow[1].routes',
        moduleId: 2,
        message: expect.stringContaining('only builtin:BasicRouter has routes'),
      }),
      expect.objectContaining({
        path: 'flow[2].module',
        moduleId: 3,
        message: expect.stringContaining('is a directive'),
      }),
    ]);
  });

  it('Break requires storing incomplete executions, naming the module', () => {
    const blueprint = bp([
      webhook,
      setVar(2, '', { onerror: [{ id: 9, module: 'builtin:Break', mapper: { retry: true } }] }),
    ]);
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      {
        path: 'flow[1].onerror[0].module',
        moduleId: 9,
        message: 'module 9 (builtin:Break): Break requires storing incomplete executions (metadata.scenario.dlq: true)',
      },
    ]);
  });

  it("names Break's bad count and interval; accepts numbers as text and mappings", () => {
    const withBreak = (mapper: Record<string, unknown>) =>
      bp([webhook, setVar(2, '', { onerror: [{ id: 9, module: 'builtin:Break', mapper }] })], { dlq: true });
    expect(errorsOf(validateBlueprint(withBreak({ count: 0, interval: -1 }), registry))).toEqual([
      expect.objectContaining({ path: 'flow[1].onerror[0].mapper.count', moduleId: 9 }),
      expect.objectContaining({ path: 'flow[1].onerror[0].mapper.interval', moduleId: 9 }),
    ]);
    expect(validateBlueprint(withBreak({ retry: 'true', count: '5', interval: '0.5' }), registry).ok).toBe(true);
    expect(validateBlueprint(withBreak({ count: '{{1.n}}' }), registry).ok).toBe(true);
  });

  it('a directive ends its error-handler route', () => {
    const blueprint = bp([webhook, setVar(2, '', { onerror: [{ id: 9, module: 'builtin:Ignore' }, setVar(10)] })]);
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      expect.objectContaining({
        path: 'flow[1].onerror[0].module',
        moduleId: 9,
        message: expect.stringContaining('must be the last module'),
      }),
    ]);
  });

  it("handler modules map the failed module's error; the failed module cannot map itself", () => {
    const ok = bp([webhook, setVar(2, '', { onerror: [setVar(9, '{{2.error.message}}')] })]);
    expect(validateBlueprint(ok, registry).ok).toBe(true);
    const bad = bp([webhook, setVar(2, '{{2.v}}')]);
    expect(errorsOf(validateBlueprint(bad, registry))).toEqual([
      expect.objectContaining({ path: 'flow[1].mapper.value', message: expect.stringContaining('from itself') }),
    ]);
  });

  it('names structural errors deep inside routes with the innermost module id', () => {
    const blueprint = bp([
      webhook,
      { id: 3, module: 'builtin:BasicRouter', routes: [{ flow: [{ id: 4, module: 7 }] }] },
    ]);
    expect(errorsOf(validateBlueprint(blueprint, registry))).toEqual([
      expect.objectContaining({ path: 'flow[1].routes[0].flow[0].module', moduleId: 4 }),
    ]);
  });

  it('accepts per-scenario policy and schedule overrides, and names a bad field', () => {
    const good = bp([webhook], {
      imex: { policy: { DataError: { outcome: 'park-auto-retry', inRun: { retry: true } } }, schedule: ['1s', '10m'] },
    });
    const result = validateBlueprint(good, registry);
    expect(result.ok && result.blueprint.metadata.scenario.imex).toEqual({
      policy: { DataError: { outcome: 'park-auto-retry', inRun: { retry: true } } },
      schedule: [1000, 600000],
    });
    const bad = bp([webhook], {
      imex: { policy: { DataError: { outcome: 'retry' }, NoSuchError: {} }, schedule: 'soon' },
    });
    expect(
      errorsOf(validateBlueprint(bad, registry))
        .map((e) => e.path)
        .sort(),
    ).toEqual([
      'metadata.scenario.imex.policy',
      'metadata.scenario.imex.policy.DataError.outcome',
      'metadata.scenario.imex.schedule',
    ]);
  });
});

/** A chain of `n` modules, each mapping the one before it: the worst case for "what may I map from". */
function chain(n: number) {
  const flow: Record<string, unknown>[] = [{ id: 1, module: 'gateway:CustomWebHook' }];
  for (let id = 2; id <= n; id++) {
    flow.push({
      id,
      module: 'util:SetVariable2',
      mapper: { name: `v${id}`, scope: 'roundtrip', value: `{{${id - 1}.value}} and {{1.n}}` },
    });
  }
  return { name: 'chain', flow, metadata: { scenario: { dlq: true } } };
}

function timed<T>(what: string, run: () => T): T {
  const started = process.hrtime.bigint();
  const result = run();
  process.stdout.write(`${what}: ${Number(process.hrtime.bigint() - started) / 1e6} ms\n`);
  return result;
}

describe('validateBlueprint is bounded and linear', () => {
  it(`accepts a blueprint of ${BLUEPRINT_MAX_MODULES} modules`, () => {
    const blueprint = chain(BLUEPRINT_MAX_MODULES);
    const result = timed(`validate ${BLUEPRINT_MAX_MODULES} modules (${JSON.stringify(blueprint).length} bytes)`, () =>
      validateBlueprint(blueprint, registry),
    );
    expect(result.ok).toBe(true);
  });

  it('refuses one module more, counting routes and error-handler routes, before parsing anything', () => {
    const half = Math.floor(BLUEPRINT_MAX_MODULES / 2);
    const blueprint = chain(half);
    const last = blueprint.flow[half - 1] as Record<string, unknown>;
    last.onerror = chain(BLUEPRINT_MAX_MODULES - half).flow.slice(1, 2);
    blueprint.flow.push({
      id: 900_001,
      module: 'builtin:BasicRouter',
      routes: [{ flow: chain(BLUEPRINT_MAX_MODULES - half).flow.slice(1) }],
    });
    const errors = errorsOf(validateBlueprint(blueprint, registry));
    expect(errors).toEqual([
      { path: 'flow', message: expect.stringContaining(`more than ${BLUEPRINT_MAX_MODULES} modules`) },
    ]);
  });

  it('refuses 40,000 modules at once (it used to take minutes)', () => {
    const blueprint = chain(40_000);
    const errors = errorsOf(
      timed(`refuse 40000 modules (${JSON.stringify(blueprint).length} bytes)`, () =>
        validateBlueprint(blueprint, registry),
      ),
    );
    expect(errors[0]?.message).toContain(`more than ${BLUEPRINT_MAX_MODULES} modules`);
  });

  it('refuses routes nested deeper than the bound', () => {
    let flow: Record<string, unknown>[] = [{ id: 999, module: 'util:SetVariable2', mapper: { name: 'x', value: '1' } }];
    for (let level = 0; level <= BLUEPRINT_MAX_NESTING; level++) {
      flow = [{ id: 1000 + level, module: 'builtin:BasicRouter', routes: [{ flow }] }];
    }
    const blueprint = { flow: [{ id: 1, module: 'gateway:CustomWebHook' }, ...flow] };
    const errors = errorsOf(validateBlueprint(blueprint, registry));
    expect(errors).toEqual([
      { path: expect.stringMatching(/routes\[0\]\.flow$/), message: expect.stringContaining('nested') },
    ]);
  });

  it('refuses prototype and $ keys anywhere, before zod copies them (API and patched blueprints alike)', () => {
    const text =
      '{"flow":[{"id":1,"module":"gateway:CustomWebHook","metadata":{"constructor":{}}}],"__proto__":{"flow":[]}}';
    expect(errorsOf(validateBlueprint(JSON.parse(text), registry)).map((e) => e.path)).toEqual([
      '__proto__',
      'flow[0].metadata.constructor',
    ]);
    expect(
      errorsOf(validateBlueprint({ flow: [{ id: 1, module: 'gateway:CustomWebHook', mapper: { $x: 1 } }] }, registry)),
    ).toEqual([{ path: 'flow[0].mapper.$x', message: 'keys starting with "$" are not allowed ("$x")' }]);
  });

  it('still knows what each module may map from across routes and error handlers', () => {
    const blueprint = {
      flow: [
        { id: 1, module: 'gateway:CustomWebHook' },
        {
          id: 2,
          module: 'util:SetVariable2',
          mapper: { name: 'a', value: '{{1.n}}' },
          onerror: [
            { id: 3, module: 'util:SetVariable2', mapper: { name: 'b', value: '{{2.error}}' } },
            { id: 4, module: 'util:SetVariable2', mapper: { name: 'c', value: '{{3.value}}' } },
          ],
        },
        {
          id: 5,
          module: 'builtin:BasicRouter',
          routes: [
            { flow: [{ id: 6, module: 'util:SetVariable2', mapper: { name: 'd', value: '{{2.a}}' } }] },
            // Module 6 runs on the other route: not before 7.
            { flow: [{ id: 7, module: 'util:SetVariable2', mapper: { name: 'e', value: '{{6.d}} {{3.b}}' } }] },
          ],
        },
      ],
    };
    const errors = errorsOf(validateBlueprint(blueprint, registry));
    expect(errors.map((e) => [e.moduleId, e.message.replace(/^module \d+ \([^)]*\): /, '')])).toEqual([
      [7, 'maps {{6.d}} from module 6, which does not run before it'],
      [7, 'maps {{3.b}} from module 3, which does not run before it'],
    ]);
  });
});
