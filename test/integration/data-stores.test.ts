/**
 * Make's data-store modules in real scenario runs (real Temporal dev server, real wire-protocol
 * server): each module's outputs and errors, and the run's transaction: autoCommit, Commit trigger
 * last, the Commit and Rollback directives with writes before and after the failing module, a run
 * that parks an IE and the IE's attempt (nothing written twice).
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: [300, 300, 300] });
  http = await new ScriptedHttpServer().start();
});

afterAll(async () => {
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

async function newStore(options: { structure?: boolean; maxSizeBytes?: number } = {}) {
  const structure = options.structure
    ? await imex.store.dataStores.createStructure({
        orgId: imex.orgId,
        name: 'customer',
        strict: false,
        spec: [
          { name: 'name', type: 'text', required: true },
          { name: 'visits', type: 'number' },
          { name: 'tags', type: 'array', spec: { name: 'tag', type: 'text' } },
        ],
      })
    : undefined;
  const created = await imex.store.dataStores.createDataStore({
    orgId: imex.orgId,
    name: env.unique('store'),
    datastructureId: structure?.id ?? null,
    maxSizeBytes: options.maxSizeBytes ?? 1024 * 1024,
  });
  return created.id;
}

const ds = (id: number, type: string, storeId: number, mapper: Record<string, unknown> = {}, parameters = {}) => ({
  id,
  module: `datastore:${type}`,
  version: 1,
  parameters: { datastore: storeId, ...parameters },
  mapper,
});

async function run(flow: unknown[], data: unknown = {}, scenario: Record<string, unknown> = {}) {
  const scenarioId = await imex.createScenario({ name: 'data stores', flow, metadata: { scenario } });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data });
  // A run with status error fails its workflow; the failure carries the result.
  const result = await imex.imex.scenarioRunResult(executionId);
  const record = await imex.store.executions.get(imex.orgId, executionId);
  /** The output bundles of module `id` in this run, in order. */
  const outputs = (id: number) => (record?.log ?? []).filter((e) => e.moduleId === id).flatMap((e) => e.output ?? []);
  return { scenarioId, executionId, result, record, outputs };
}

async function records(storeId: number) {
  return Object.fromEntries((await imex.store.dataStores.readAll(storeId)).map((r) => [r.key, r.data]));
}

/** The run's transaction left nothing behind: steps and commits are removed when it settles. */
async function bookkeepingOf(executionId: string) {
  const steps = await imex.store.dataStoreTransactions.steps.countDocuments({ txnId: executionId });
  const commits = await imex.store.dataStoreTransactions.commits.countDocuments({ txnId: executionId });
  return steps + commits;
}

describe('modules', () => {
  test('AddRecord: a mapped key, a generated key, the structure coerces; an existing key needs overwrite', async () => {
    const storeId = await newStore({ structure: true });
    const first = await run(
      [
        webhookTrigger,
        ds(2, 'AddRecord', storeId, { key: '{{1.id}}', data: { name: '{{1.name}}', visits: '{{1.visits}}' } }),
        ds(3, 'AddRecord', storeId, { key: '', data: { name: 'anonymous' } }),
      ],
      { id: 'c1', name: 'Ada', visits: '3' },
    );
    expect(first.result.status).toBe('success');
    expect(first.outputs(2)).toEqual([{ key: 'c1', data: { name: 'Ada', visits: 3 } }]);
    const generated = (first.outputs(3)[0] as { key: string }).key;
    expect(generated).toMatch(/^[0-9a-f]{32}$/);
    expect(await records(storeId)).toEqual({ c1: { name: 'Ada', visits: 3 }, [generated]: { name: 'anonymous' } });
    expect(await bookkeepingOf(first.executionId)).toBe(0);

    const again = await run([webhookTrigger, ds(2, 'AddRecord', storeId, { key: 'c1', data: { name: 'Bob' } })]);
    expect(again.result.status).toBe('error');
    expect(again.record?.error).toMatchObject({ type: 'DuplicateDataError', moduleId: 2 });
    const overwrite = await run([
      webhookTrigger,
      ds(2, 'AddRecord', storeId, { key: 'c1', overwrite: true, data: { name: 'Bob' } }),
    ]);
    expect(overwrite.result.status).toBe('success');
    expect((await records(storeId)).c1).toEqual({ name: 'Bob' });

    const invalid = await run(
      [webhookTrigger, ds(2, 'AddRecord', storeId, { key: 'c2', data: { visits: 'many' } })],
      {},
      {
        dlq: true,
      },
    );
    expect(invalid.result.status).toBe('warning'); // DataError: parked for a person
    expect(invalid.result.parked[0]?.error.message).toContain('data.name: required');
    expect(invalid.result.parked[0]?.error.message).toContain('data.visits: expected a number');
  });

  test('GetRecord, ExistRecord, UpdateRecord (arrays appended, upsert), DeleteRecord', async () => {
    const storeId = await newStore({ structure: true });
    await imex.store.dataStores.putRecord(storeId, 'k', { name: 'Ada', tags: ['a'] });
    const { result, outputs } = await run([
      webhookTrigger,
      ds(2, 'GetRecord', storeId, { key: 'k', returnWrapped: false }),
      ds(3, 'GetRecord', storeId, { key: 'k', returnWrapped: true }),
      ds(4, 'GetRecord', storeId, { key: 'missing' }),
      ds(5, 'UpdateRecord', storeId, { key: 'k', data: { visits: 2, tags: ['b'] } }),
      ds(6, 'UpdateRecord', storeId, { key: 'new', upsert: true, data: { name: 'Neo' } }),
      ds(7, 'ExistRecord', storeId, { key: 'new' }),
      ds(8, 'DeleteRecord', storeId, { key: 'k' }),
      ds(9, 'ExistRecord', storeId, { key: 'k' }),
    ]);
    expect(result.status).toBe('success');
    expect(outputs(2)).toEqual([{ name: 'Ada', tags: ['a'] }]);
    expect(outputs(3)).toEqual([{ key: 'k', data: { name: 'Ada', tags: ['a'] } }]);
    expect(outputs(4)).toEqual([{}]);
    expect(outputs(5)).toEqual([{ key: 'k', data: { name: 'Ada', tags: ['a', 'b'], visits: 2 } }]);
    expect(outputs(6)).toEqual([{ key: 'new', data: { name: 'Neo' } }]);
    expect(outputs(7)).toEqual([{ exist: true }]);
    expect(outputs(9)).toEqual([{ exist: false }]);
    expect(await records(storeId)).toEqual({ new: { name: 'Neo' } });

    const missing = await run(
      [webhookTrigger, ds(2, 'UpdateRecord', storeId, { key: 'nope', data: { name: 'x' } })],
      {},
      {
        dlq: true,
      },
    );
    expect(missing.result.parked[0]?.error).toMatchObject({ type: 'DataError', moduleId: 2 });
  });

  test('SearchRecord filters, sorts and limits; CountRecords; DeleteAllRecords', async () => {
    const storeId = await newStore();
    for (const [key, n, kind] of [
      ['a', 1, 'x'],
      ['b', 5, 'y'],
      ['c', 3, 'x'],
      ['d', 4, 'x'],
    ] as const) {
      await imex.store.dataStores.putRecord(storeId, key, { n, kind });
    }
    const { result, outputs } = await run(
      [
        webhookTrigger,
        ds(
          2,
          'SearchRecord',
          storeId,
          {
            filter: [[{ a: 'kind', o: 'text:equal', b: '{{1.kind}}' }]],
            sort: [{ key: 'n', order: 'desc' }],
          },
          { limit: 2 },
        ),
        ds(3, 'CountRecords', storeId),
      ],
      { kind: 'x' },
    );
    expect(result.status).toBe('success');
    expect(outputs(2)).toEqual([
      { key: 'd', data: { n: 4, kind: 'x' }, __IMTINDEX__: 1, __IMTLENGTH__: 2 },
      { key: 'c', data: { n: 3, kind: 'x' }, __IMTINDEX__: 2, __IMTLENGTH__: 2 },
    ]);
    // One count per search result: the flow goes on once per bundle, as Make's.
    expect(outputs(3)).toEqual([{ count: 4 }, { count: 4 }]);

    const none = await run([
      webhookTrigger,
      ds(
        2,
        'SearchRecord',
        storeId,
        { filter: [[{ a: 'n', o: 'number:greater', b: 100 }]] },
        { continueWhenNoRes: true },
      ),
      ds(3, 'DeleteAllRecords', storeId),
      ds(4, 'CountRecords', storeId),
    ]);
    expect(none.outputs(2)).toEqual([{}]);
    expect(none.outputs(4)).toEqual([{ count: 0 }]);
    expect(await records(storeId)).toEqual({});
  });

  test('a full data store is an OutOfSpaceError; an unknown store an InvalidConfigurationError', async () => {
    const storeId = await newStore({ maxSizeBytes: 100 });
    const full = await run(
      [webhookTrigger, ds(2, 'AddRecord', storeId, { key: 'big', data: { text: 'x'.repeat(200) } })],
      {},
      {
        dlq: true,
      },
    );
    expect(full.result.parked[0]?.error).toMatchObject({ type: 'OutOfSpaceError', moduleId: 2 });
    expect(await records(storeId)).toEqual({});
    // Records that fit one by one fill it: the one that passes the limit is refused.
    const fits = await newStore({ maxSizeBytes: 300 });
    const filling = await run(
      [
        webhookTrigger,
        ds(2, 'AddRecord', fits, { key: 'one', data: { text: 'x'.repeat(150) } }),
        ds(3, 'AddRecord', fits, { key: 'two', data: { text: 'x'.repeat(150) } }),
      ],
      {},
      { dlq: true },
    );
    expect(filling.result.parked[0]?.error).toMatchObject({ type: 'OutOfSpaceError', moduleId: 3 });
    expect(Object.keys(await records(fits))).toEqual(['one']);
    const unknown = await run([webhookTrigger, ds(2, 'GetRecord', 999_999, { key: 'k' })], {}, { dlq: true });
    expect(unknown.result.parked[0]?.error).toMatchObject({ type: 'InvalidConfigurationError' });
  });
});

describe('transactions', () => {
  const failing = (id: number, onerror?: unknown[]) => ({
    ...http.httpModule(id, '/fail'),
    ...(onerror ? { onerror } : {}),
  });

  beforeAll(() => {
    http.script('/fail', { status: 500 }); // RuntimeError: the run stops (no IE)
    http.script('/bad', { status: 400 }); // DataError: parked when dlq is on
  });

  test("autoCommit off: reads see the run's own writes, and nothing is committed before the end", async () => {
    const storeId = await newStore();
    // The HTTP module answers slowly: while it waits, the run's write must not be in the store yet.
    http.script('/slow', { status: 200, delayMs: 1500 });
    const pending = run(
      [
        webhookTrigger,
        ds(2, 'AddRecord', storeId, { key: 'k', data: { v: 1 } }),
        ds(3, 'GetRecord', storeId, { key: 'k' }),
        ds(4, 'CountRecords', storeId),
        http.httpModule(5, '/slow'),
      ],
      {},
      { autoCommit: false },
    );
    await waitFor('the run to reach its HTTP module', async () => (http.count('/slow') > 0 ? true : undefined), {
      timeoutMs: 30_000,
    });
    expect(await records(storeId)).toEqual({});
    const { result, outputs } = await pending;
    expect(result.status).toBe('success');
    expect(outputs(3)).toEqual([{ v: 1 }]);
    expect(outputs(4)).toEqual([{ count: 1 }]);
    expect(await records(storeId)).toEqual({ k: { v: 1 } });
  });

  test.each([
    // [autoCommit, directive, records kept, run status]
    [true, 'builtin:Rollback', { before: 1, handler: 1 }, 'error'],
    [false, 'builtin:Rollback', {}, 'error'],
    [false, 'builtin:Commit', { before: 1, handler: 1 }, 'success'],
    [true, 'builtin:Commit', { before: 1, handler: 1 }, 'success'],
  ] as const)(
    'autoCommit %s, %s: writes before the failing module and in its handler route',
    async (autoCommit, directive, kept, status) => {
      const storeId = await newStore();
      const { result, record, executionId } = await run(
        [
          webhookTrigger,
          ds(2, 'AddRecord', storeId, { key: 'before', data: { v: 1 } }),
          failing(3, [ds(30, 'AddRecord', storeId, { key: 'handler', data: { v: 1 } }), { id: 31, module: directive }]),
          ds(4, 'AddRecord', storeId, { key: 'after', data: { v: 1 } }),
        ],
        {},
        { autoCommit },
      );
      expect(record?.status ?? result.status).toBe(status);
      const expected = Object.fromEntries(Object.keys(kept).map((k) => [k, { v: 1 }]));
      expect(await records(storeId)).toEqual(expected);
      expect(await bookkeepingOf(executionId)).toBe(0);
    },
  );

  test('a run stopped by an error rolls back what it did not commit (autoCommit off, no IE)', async () => {
    const storeId = await newStore();
    const { record } = await run(
      [webhookTrigger, ds(2, 'AddRecord', storeId, { key: 'k', data: { v: 1 } }), failing(3)],
      {},
      { autoCommit: false },
    );
    expect(record?.status).toBe('error');
    expect(await records(storeId)).toEqual({});
  });

  test("Commit trigger last: the trigger's writes wait for the end, and go when the run fails", async () => {
    const storeId = await newStore();
    const trigger = ds(1, 'AddRecord', storeId, { key: 'trigger', data: { v: 1 } });
    const module = ds(2, 'AddRecord', storeId, { key: 'module', data: { v: 1 } });
    const failed = await run([trigger, module, failing(3)], {}, { autoCommit: true, autoCommitTriggerLast: true });
    expect(failed.record?.status).toBe('error');
    expect(await records(storeId)).toEqual({ module: { v: 1 } });

    const other = await newStore();
    const notLast = await run(
      [
        ds(1, 'AddRecord', other, { key: 'trigger', data: { v: 1 } }),
        ds(2, 'GetRecord', other, { key: 'trigger' }),
        failing(3),
      ],
      {},
      { autoCommit: true, autoCommitTriggerLast: false },
    );
    expect(notLast.record?.status).toBe('error');
    expect(await records(other)).toEqual({ trigger: { v: 1 } });

    // Succeeding, the trigger commits last; a later module read the trigger's staged write.
    const third = await newStore();
    const ok = await run(
      [ds(1, 'AddRecord', third, { key: 'trigger', data: { v: 1 } }), ds(2, 'GetRecord', third, { key: 'trigger' })],
      {},
      { autoCommit: true, autoCommitTriggerLast: true },
    );
    expect(ok.result.status).toBe('success');
    expect(ok.outputs(2)).toEqual([{ v: 1 }]);
    expect(await records(third)).toEqual({ trigger: { v: 1 } });
  });

  test('a worker restart in the middle of a run loses none of its staged writes and doubles none', async () => {
    const storeId = await newStore();
    http.script('/restart', { status: 200, delayMs: 1000 });
    const pending = run(
      [
        webhookTrigger,
        ds(2, 'UpdateRecord', storeId, { key: 'counter', upsert: true, data: { runs: ['{{1.n}}'] } }),
        http.httpModule(3, '/restart'),
        ds(4, 'AddRecord', storeId, { key: 'after', data: { v: 1 } }),
      ],
      { n: 1 },
      { autoCommit: false },
    );
    await waitFor('the run to reach its HTTP module', async () => (http.count('/restart') > 0 ? true : undefined), {
      timeoutMs: 30_000,
    });
    // A fresh worker replays the run: its transaction (what is staged, what waits) comes back from history.
    await imex.restartWorker();
    const { result, executionId } = await pending;
    expect(result.status).toBe('success');
    expect(await records(storeId)).toEqual({ counter: { runs: [1] }, after: { v: 1 } });
    const docs = await imex.store.dataStores.records.find({ storeId }).toArray();
    expect(docs.map((r) => [r.key, r.version]).sort()).toEqual([
      ['after', 1],
      ['counter', 1],
    ]);
    expect(await bookkeepingOf(executionId)).toBe(0);
  });

  test('a parked run commits the writes of the bundles that went through; its attempt writes the rest once', async () => {
    const storeId = await newStore();
    http.script('/flaky', { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { status: 200 });
    const { result } = await run(
      [
        webhookTrigger,
        ds(2, 'UpdateRecord', storeId, { key: 'counter', upsert: true, data: { runs: ['{{1.n}}'] } }),
        http.httpModule(3, '/flaky'),
        ds(4, 'AddRecord', storeId, { key: 'after', data: { v: 1 } }),
      ],
      { n: 1 },
      { dlq: true, autoCommit: false },
    );
    expect(result.status).toBe('warning');
    expect(await records(storeId)).toEqual({ counter: { runs: [1] } });
    const ieId = result.parked[0]?.ieId as string;
    await waitFor(
      'the IE attempt to resolve it',
      async () => ((await imex.store.incompleteExecutions.get(ieId))?.resolved ? true : undefined),
      { timeoutMs: 30_000 },
    );
    // The attempt started at module 3: module 2 never ran again (its array was not appended twice).
    expect(await records(storeId)).toEqual({ counter: { runs: [1] }, after: { v: 1 } });
    const versions = await imex.store.dataStores.records.find({ storeId }).toArray();
    expect(versions.map((r) => [r.key, r.version]).sort()).toEqual([
      ['after', 1],
      ['counter', 1],
    ]);
  });
});
