import { blueprintSchema, contextBefore, planRetry, type RetryPlanInput } from '../../../src/domain';
import { moduleEffects } from '../../../src/modules';

const http = (
  id: number,
  method: string,
  mapper: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => ({
  id,
  module: 'http:ActionSendData',
  version: 3,
  mapper: { url: 'http://service/x', method, ...mapper },
  ...extra,
});

// 1 trigger → 2 parse → 3 GET → router 4: [ 5 POST (filter on 1.kind) → 6 PUT (failer) ] [ 7 set variable ]
const blueprint = blueprintSchema.parse({
  flow: [
    { id: 1, module: 'gateway:CustomWebHook' },
    { id: 2, module: 'json:ParseJSON', mapper: { json: '{{1.body}}' } },
    http(3, 'get', { data: '{{2.n}}' }),
    {
      id: 4,
      module: 'builtin:BasicRouter',
      routes: [
        {
          flow: [
            http(
              5,
              'post',
              { data: '{{3.data}}' },
              { filter: { conditions: [[{ a: '{{1.kind}}', o: 'text:equal', b: 'order' }]] } },
            ),
            http(6, 'put', { data: '{{5.data}}', id: '{{2.n}}' }),
          ],
        },
        { flow: [{ id: 7, module: 'util:SetVariable2', mapper: { value: '{{2.missing}}' } }] },
      ],
    },
  ],
});

const context = {
  '1': { kind: 'order', body: '{"n":1}' },
  '2': { n: 1 },
  '3': { data: 'ok' },
  '5': { data: 'posted' },
};

const plan = (over: Partial<RetryPlanInput> = {}) =>
  planRetry({ blueprint, choice: 'stored', failer: 6, context, effectsOf: moduleEffects, now: 0, ...over });

describe('planRetry', () => {
  test('from the failed module (the default): only it runs, every output before it is reused', () => {
    const verdict = plan();
    if (!verdict.ok) throw new Error(verdict.reason);
    expect(verdict.plan.from).toBe(6);
    expect(verdict.plan.startsAt).toBe(6);
    expect(verdict.plan.reused.map((m) => m.moduleId)).toEqual([1, 2, 3, 5]);
    expect(verdict.plan.modules).toEqual([
      { moduleId: 6, module: 'http:ActionSendData', route: [0], runs: 'runs', callsService: true, idempotent: true },
    ]);
    expect(verdict.plan.callsServiceAgain).toEqual([6]);
    expect(verdict.plan.warnings).toEqual([]);
  });

  test('from the trigger: its stored bundle is the start, every module after it runs once, routes in order', () => {
    const verdict = plan({ from: 1 });
    if (!verdict.ok) throw new Error(verdict.reason);
    expect(verdict.plan.startsAt).toBe(2);
    expect(verdict.plan.reused.map((m) => m.moduleId)).toEqual([1]);
    expect(verdict.plan.modules.map((m) => [m.moduleId, m.runs, m.filter])).toEqual([
      [2, 'runs', undefined],
      [3, 'runs', undefined],
      [4, 'runs', undefined],
      [5, 'runs', 'passes'], // its filter reads the trigger's stored bundle
      [6, 'runs', undefined],
      [7, 'runs', undefined],
    ]);
    expect(verdict.plan.callsServiceAgain).toEqual([3, 5, 6]);
    expect(verdict.plan.warnings.map((w) => [w.moduleId, w.kind])).toEqual([[5, 'not-idempotent']]);
  });

  test('a filter that fails on the stored data stops its path; one that reads new output makes the rest maybe', () => {
    const failing = plan({ from: 1, context: { ...context, '1': { kind: 'refund', body: '{}' } } });
    if (!failing.ok) throw new Error(failing.reason);
    expect(failing.plan.modules.map((m) => [m.moduleId, m.runs])).toEqual([
      [2, 'runs'],
      [3, 'runs'],
      [4, 'runs'],
      [5, 'filtered'],
      [7, 'runs'],
    ]);
    expect(failing.plan.callsServiceAgain).toEqual([3]);

    const onOutput = blueprintSchema.parse({
      flow: [
        { id: 1, module: 'gateway:CustomWebHook' },
        http(2, 'get'),
        http(3, 'get', {}, { filter: { conditions: [[{ a: '{{2.status}}', o: 'number:equal', b: '200' }]] } }),
        http(4, 'get', { data: '{{3.data}}' }),
      ],
    });
    const maybe = planRetry({
      blueprint: onOutput,
      choice: 'stored',
      failer: 4,
      context: { '1': {}, '2': { status: 200 }, '3': { data: 1 } },
      from: 2,
      effectsOf: moduleEffects,
    });
    if (!maybe.ok) throw new Error(maybe.reason);
    expect(maybe.plan.modules.map((m) => [m.moduleId, m.runs, m.filter])).toEqual([
      [2, 'runs', undefined],
      [3, 'maybe', 'unknown'],
      [4, 'maybe', undefined],
    ]);
  });

  test('warns of mappings that would be empty: a missing stored field, a module with no output on the path', () => {
    const verdict = plan({ from: 2 });
    if (!verdict.ok) throw new Error(verdict.reason);
    // 7 maps 2.missing: module 2 runs again, so its output is not known: no warning for it.
    expect(verdict.plan.warnings.filter((w) => w.kind === 'empty-mapping')).toEqual([]);

    const fromRouter = plan({ failer: 6, from: 6, context: { ...context, '2': { other: 1 } } });
    if (!fromRouter.ok) throw new Error(fromRouter.reason);
    expect(fromRouter.plan.warnings).toEqual([
      { moduleId: 6, kind: 'empty-mapping', message: 'module 6: mapper.id would be empty with the stored data' },
    ]);
  });

  test('refuses a start that is not on the path, or whose inputs are not stored, naming `from`', () => {
    expect(plan({ from: 7 })).toEqual({ ok: false, field: 'from', reason: 'module 7 is not on the path to module 6' });
    expect(plan({ from: 4 })).toMatchObject({ ok: false, field: 'from' }); // a router is not a start
    expect(plan({ from: 5, context: { '1': {}, '3': {} } })).toEqual({
      ok: false,
      field: 'from',
      reason: 'module 5 needs the output of module 2, which the incomplete execution does not store',
    });
  });

  test('refuses a blueprint without the failed module, or where it maps from a module not before it', () => {
    const without = blueprintSchema.parse({ flow: [{ id: 1, module: 'gateway:CustomWebHook' }, http(3, 'get')] });
    expect(plan({ blueprint: without, choice: 'current' })).toEqual({
      ok: false,
      field: 'blueprint',
      reason: 'the current blueprint has no module 6 (the failed module)',
    });
    const moved = blueprintSchema.parse({
      flow: [{ id: 1, module: 'gateway:CustomWebHook' }, http(6, 'put', { data: '{{2.n}}' }), http(2, 'get')],
    });
    expect(plan({ blueprint: moved, choice: 'current' })).toEqual({
      ok: false,
      field: 'blueprint',
      reason: 'in the current blueprint, module 6 maps from 2, not before it on its path',
    });
  });
});

describe('contextBefore', () => {
  test('keeps the stored outputs of the modules before the start on its path', () => {
    expect(contextBefore(blueprint, 2, context)).toEqual({ '1': context['1'] });
    expect(contextBefore(blueprint, 6, context)).toEqual(context);
  });
});
