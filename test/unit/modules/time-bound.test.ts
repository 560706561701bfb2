/**
 * User work that runs away (a regular expression backtracking without end) is stopped at its time
 * bound instead of holding the worker's event loop: the text parser, the replace module, the
 * switcher, a module's mapper and a filter each end with Make's DataError or a failed filter.
 */
import type { BlobStore } from '../../../src/store';

// Before the modules load: they read the bound once.
process.env.IMEX_USER_WORK_TIME_LIMIT_MS = '300';

/** Backtracks 2^n steps on n a's and a b: hours at n = 40. */
const RUNAWAY = '^(a+)+$';
const TEXT = `${'a'.repeat(40)}b`;

async function load() {
  const bound = await import('../../../src/modules/time-bound');
  const modules = await import('../../../src/modules');
  const { createEvaluateFlowExpressions } = await import('../../../activities/flow-expressions');
  const { ModuleError } = await import('../../../src/domain');
  return { ...bound, ...modules, createEvaluateFlowExpressions, ModuleError };
}

const execution = { executionId: 'e'.repeat(32), moduleId: 2, bundleIndex: 0, attempt: 1 };

afterAll(() => {
  delete process.env.IMEX_USER_WORK_TIME_LIMIT_MS;
});

test('withinTimeBound returns what the work returns, passes its errors on, and stops it at the bound', async () => {
  const { withinTimeBound, TimeBoundExceededError, USER_WORK_TIME_LIMIT_MS } = await load();
  expect(USER_WORK_TIME_LIMIT_MS).toBe(300);
  expect(withinTimeBound(() => 'ok'.repeat(2))).toBe('okok');
  expect(() =>
    withinTimeBound(() => {
      throw new RangeError('its own');
    }),
  ).toThrow(RangeError);
  const started = Date.now();
  expect(() => withinTimeBound(() => new RegExp(RUNAWAY).test(TEXT), 100)).toThrow(TimeBoundExceededError);
  expect(Date.now() - started).toBeLessThan(30_000); // stopped, not run to its end (hours)
  // Nested calls run under the outer bound; the bound is usable again afterwards.
  expect(withinTimeBound(() => withinTimeBound(() => 1) + 1)).toBe(2);
});

test('regexp:Parser, regexp:Replace and util:Switcher stop a runaway pattern with a DataError naming it', async () => {
  const { createDefaultRegistry, invokeModule, ModuleError } = await load();
  const registry = createDefaultRegistry();
  const run = (type: string, parameters: unknown, mapper: unknown) =>
    invokeModule(registry.get(type)!, { parameters, mapper, execution });

  const failures = [
    () => run('regexp:Parser', { pattern: RUNAWAY }, { text: TEXT }),
    () => run('regexp:Replace', {}, { pattern: RUNAWAY, value: 'x', text: TEXT }),
    () =>
      run(
        'util:Switcher',
        {},
        {
          input: TEXT,
          useRegExpMatch: true,
          casesTable: [
            { pattern: 'z', output: 'first' },
            { pattern: RUNAWAY, output: 'second' },
          ],
        },
      ),
  ];
  for (const failure of failures) {
    const error = await failure().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ModuleError);
    expect(error).toMatchObject({ category: 'DataError' });
    expect((error as Error).message).toMatch(
      /took longer than 0.3 s and was stopped \(a regular expression that backtracks/,
    );
  }
  // Honest patterns are untouched.
  await expect(run('regexp:Parser', { pattern: '(a+)b' }, { text: TEXT })).resolves.toEqual([
    { i: 1, $1: 'a'.repeat(40) },
  ]);
});

test("a filter or a directive's mapper with a runaway pattern fails its evaluation instead of freezing the worker", async () => {
  const { createEvaluateFlowExpressions } = await load();
  // Inline bundles only: the blob store is never read.
  const evaluate = createEvaluateFlowExpressions({ blobs: {} as BlobStore });
  const context = { '1': { text: TEXT } };
  const byFilter = await evaluate({
    context,
    filter: { name: 'runaway', conditions: [[{ a: '{{1.text}}', o: 'text:pattern', b: RUNAWAY }]] },
  });
  expect(byFilter.passes).toBe(false);
  expect(byFilter.error).toMatch(/took longer than 0.3 s and was stopped/);
  const byMapper = await evaluate({ context, mapper: { out: `{{replace(1.text; /${RUNAWAY}/; "x")}}` } });
  expect(byMapper.error).toMatch(/took longer than 0.3 s and was stopped/);
  // And an honest one still maps.
  await expect(evaluate({ context, mapper: { out: '{{replace(1.text; /b$/; "c")}}' } })).resolves.toMatchObject({
    passes: true,
    mapped: { out: `${'a'.repeat(40)}c` },
  });
});
