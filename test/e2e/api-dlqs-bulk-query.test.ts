/**
 * Bulk retry and delete by query across scenarios (`/dlqs/operations`), end to end: real HTTP
 * against the real API, IEs parked by a real worker on the real Temporal dev server, their
 * attempts calling a real local HTTP server. Also `GET /dlqs` across the organization with the
 * same query's filters.
 */
import { waitFor } from '../../src/stack/wait';
import type { IncompleteExecutionDocument } from '../../src/store';
import { bulkQueryOperationWorkflowId } from '../../src/temporal/client';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { writtenThroughByWorkflow } from '../helpers/ie-waits';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { allScopes, startApi, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let token: string;
let otherToken: string;
/** Scenario A: 6 IEs whose attempts the service holds; B: 5; C: 4 (their own message). */
const parked = {} as Record<'a' | 'b' | 'c', { scenarioId: number; ieIds: string[] }>;

// Auto-retries an hour away: attempts happen only when a test asks for one.
const SCHEDULE = Array.from({ length: 8 }, () => 3_600_000);

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { schedule: SCHEDULE });
  http = await new ScriptedHttpServer().start();
  api = await startApi(harness.store, harness.imex);
  token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;
  const orgB = (await harness.store.organizations.create({ name: 'Other' }))._id;
  otherToken = (await harness.store.apiTokens.create({ orgId: orgB, scopes: allScopes })).token;
  // Each run is refused (parked for a person); each attempt's call is held until the test lets go.
  parked.a = await parkMany(6, '/qa', { status: 400, body: { error: 'order rejected' } });
  parked.b = await parkMany(5, '/qb', { status: 400, body: { error: 'order rejected' } });
  parked.c = await parkMany(4, '/qc', { status: 422, body: { error: 'customer unknown' } });
});

afterAll(async () => {
  http?.release();
  await http?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
});

async function parkMany(n: number, path: string, refusal: { status: number; body: unknown }) {
  http.script(path, { status: refusal.status, body: refusal.body });
  const blueprint = {
    name: `parks at ${path}`,
    flow: [webhookTrigger, http.httpModule(2, path, { data: '{{1.n}}' })],
    metadata: { scenario: { dlq: true } },
  };
  const scenarioId = await harness.createScenario(blueprint, `parks at ${path}`);
  const runs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { n: i } }),
    ),
  );
  const results = await Promise.all(runs.map((r) => harness.imex.scenarioRunResult(r.executionId)));
  const ieIds = results.map((r) => r.parked[0]?.ieId as string);
  await Promise.all(
    ieIds.map((id) => waitForIe(id, 'the IE to wait', (d) => d.status === 'unresolved' && writtenThroughByWorkflow(d))),
  );
  return { scenarioId, ieIds };
}

function waitForIe(ieId: string, what: string, predicate: (doc: IncompleteExecutionDocument) => boolean) {
  return waitFor(
    what,
    async () => {
      const doc = await harness.store.incompleteExecutions.get(ieId);
      return doc && predicate(doc) ? doc : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

const ids = (body: { dlqs: { id: string }[] }) => body.dlqs.map((d) => d.id).sort();
const sorted = (...lists: string[][]) => lists.flat().sort();
const heldCalls = (path: string) => http.requestsTo(path).filter((r) => r.status === undefined).length;

interface OperationView {
  id: string;
  state: string;
  matched: number;
  applied: number;
  skipped: number;
  failed: number;
  finishedAt?: string;
}
interface ItemView {
  dlqId: string;
  scenarioId: number;
  verdict: string;
  reason?: string;
}

async function operation(id: string): Promise<OperationView> {
  const response = await api.call('GET', `/dlqs/operations/${id}`, { token });
  expect(response.status).toBe(200);
  return response.body.operation as OperationView;
}

function waitForState(id: string, state: string): Promise<OperationView> {
  return waitFor(
    `operation ${id} ${state}`,
    async () => {
      const view = await operation(id);
      return view.state === state ? view : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 200 },
  );
}

/** Every ledger item, page by page (a small limit, so the cursor is used). */
async function ledger(id: string, verdict?: string): Promise<ItemView[]> {
  const items: ItemView[] = [];
  let cursor: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ limit: '4', ...(verdict ? { verdict } : {}), ...(cursor ? { cursor } : {}) });
    const response = await api.call('GET', `/dlqs/operations/${id}/items?${query}`, { token });
    expect(response.status).toBe(200);
    items.push(...(response.body.items as ItemView[]));
    cursor = response.body.next as string | undefined;
    if (!cursor) return items;
  }
}

describe('GET /dlqs across the organization', () => {
  test('without scenarioId lists every scenario, and filters by the query', async () => {
    const all = await api.call('GET', '/dlqs', { token });
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(sorted(parked.a.ieIds, parked.b.ieIds, parked.c.ieIds));
    expect(all.body.dlqs.find((d: { id: string }) => d.id === parked.c.ieIds[0]).scenarioId).toBe(parked.c.scenarioId);
    const list = async (query: string) => {
      const response = await api.call('GET', `/dlqs?${query}`, { token });
      expect({ query, status: response.status }).toEqual({ query, status: 200 });
      return ids(response.body);
    };
    const { a, b, c } = parked;
    expect(await list(`scenarioId=${a.scenarioId}&scenarioId=${c.scenarioId}`)).toEqual(sorted(a.ieIds, c.ieIds));
    expect(await list('q=CUSTOMER%20UNKNOWN')).toEqual(sorted(c.ieIds));
    expect(await list(`q=order%20rejected&scenarioId=${b.scenarioId}`)).toEqual(sorted(b.ieIds));
    expect(await list('status=unresolved&status=pending&errorType=DataError')).toEqual(
      sorted(a.ieIds, b.ieIds, c.ieIds),
    );
    expect(await list('status=resolved')).toEqual([]);
    expect(await list('failedModuleId=2')).toHaveLength(15);
    expect(await list('failedModuleId=3')).toEqual([]);
    expect(await list(`createdFrom=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    expect(await list(`createdTo=${new Date().toISOString()}&createdFrom=2020-01-01T00:00:00Z`)).toHaveLength(15);
    // Another organization sees none of them.
    expect(ids((await api.call('GET', '/dlqs', { token: otherToken })).body)).toEqual([]);
    // Bad filters are named.
    const bad = await api.call('GET', '/dlqs?status=pending&status=nope&createdFrom=yesterday', { token });
    expect(bad.status).toBe(400);
    expect(bad.body.detail.map((d: { path: string }) => d.path).sort()).toEqual(['createdFrom', 'status']);
    expect((await api.call('GET', '/dlqs?scenarioId=999999', { token })).status).toBe(404);
  });
});

describe('POST /dlqs/operations', () => {
  test('a dry run counts and samples what the query matches, and changes nothing', async () => {
    const response = await api.call('POST', '/dlqs/operations', {
      token,
      body: {
        action: 'delete',
        query: { scenarioIds: [parked.a.scenarioId, parked.b.scenarioId], messageContains: 'ORDER REJECTED' },
        dryRun: true,
      },
    });
    expect(response.status).toBe(200);
    expect(response.body.matched).toBe(11);
    expect(response.body.sample).toHaveLength(10);
    const aOrB = new Set([...parked.a.ieIds, ...parked.b.ieIds]);
    expect(response.body.sample.every((d: { id: string }) => aOrB.has(d.id))).toBe(true);
    for (const id of aOrB) expect((await harness.store.incompleteExecutions.get(id))?.deleted).toBe(false);
    expect(await harness.store.bulkQueries.operations.countDocuments({})).toBe(0);
    // Another organization's dry run matches none of them.
    const other = await api.call('POST', '/dlqs/operations', {
      token: otherToken,
      body: { action: 'delete', query: {}, dryRun: true },
    });
    expect(other.body).toEqual({ matched: 0, sample: [] });
  });

  test('names what is wrong in the body', async () => {
    const response = await api.call('POST', '/dlqs/operations', {
      token,
      body: { action: 'resolve', query: { statuses: ['nope'], messageContains: '', extra: 1 } },
    });
    expect(response.status).toBe(400);
    expect(response.body.detail.map((d: { path: string }) => d.path).sort()).toEqual([
      'action',
      'query.extra',
      'query.messageContains',
      'query.statuses[0]',
    ]);
    const range = await api.call('POST', '/dlqs/operations', {
      token,
      body: { action: 'retry', query: { createdFrom: '2026-02-01T00:00:00Z', createdTo: '2026-01-01T00:00:00Z' } },
    });
    expect(range.status).toBe(400);
    expect(range.body.detail).toEqual([
      { path: 'query.createdTo', in: 'body', message: 'must not be before createdFrom' },
    ]);
  });

  test('a bulk retry across scenarios: 3 attempts at once per scenario, paused, resumed, a verdict per IE', async () => {
    const { a, b, c } = parked;
    // The attempts' calls are held until the test lets go.
    http.script('/qa', { status: 200, held: true });
    http.script('/qb', { status: 200, held: true });
    const started = await api.call('POST', '/dlqs/operations', {
      token,
      body: { action: 'retry', query: { messageContains: 'order rejected' }, reason: 'the shop is back' },
    });
    expect(started.status).toBe(202);
    const id = started.body.operation.id as string;
    expect(started.body.operation).toMatchObject({ action: 'retry', state: 'running', matched: 11 });

    await waitFor(
      '3 attempts held in each scenario',
      async () => (heldCalls('/qa') === 3 && heldCalls('/qb') === 3 ? true : undefined),
      { timeoutMs: 90_000 },
    );
    // The operation asked no more: none of the scenarios' other IEs waits for a slot, and the
    // ledger holds 3 IEs per scenario (each claimed before its request).
    const items = harness.store.bulkQueries.items;
    for (const { scenarioId, ieIds } of [a, b]) {
      expect(await items.countDocuments({ operationId: id, scenarioId })).toBe(3);
      const docs = await Promise.all(ieIds.map((ie) => harness.store.incompleteExecutions.get(ie)));
      expect(docs.filter((d) => d?.waitingForSlot)).toHaveLength(0);
    }

    // Progress follows the ledger IE by IE, not page by page: the 6 applied count while their
    // attempts (and so the page) are still under way.
    await waitFor(
      'the 6 applied to be counted while their attempts are held',
      async () => ((await operation(id)).applied === 6 ? true : undefined),
      { timeoutMs: 30_000 },
    );

    const paused = await api.call('POST', `/dlqs/operations/${id}/pause`, { token });
    expect(paused.status).toBe(200);
    expect(paused.body.operation.state).toBe('paused');
    const again = await api.call('POST', `/dlqs/operations/${id}/pause`, { token });
    expect(again.status).toBe(409);
    expect(again.body.detail.reason).toBe('the operation is paused: it cannot pause');
    const listed = await api.call('GET', '/dlqs/operations?state=paused', { token });
    expect(listed.body.operations.map((o: { id: string }) => o.id)).toEqual([id]);

    // The attempts under way finish; paused, the operation starts no others.
    http.release();
    const applied = (await harness.store.bulkQueries.items.find({ operationId: id }).toArray()).map((i) => i.ieId);
    expect(applied).toHaveLength(6);
    for (const ie of applied) await waitForIe(ie, 'the attempt to resolve the IE', (d) => d.resolved);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await items.countDocuments({ operationId: id })).toBe(6);
    expect((await operation(id)).state).toBe('paused');

    const resumed = await api.call('POST', `/dlqs/operations/${id}/resume`, { token });
    expect(resumed.status).toBe(200);
    expect(resumed.body.operation.state).toBe('running');
    const done = await waitForState(id, 'completed');
    expect(done).toMatchObject({ matched: 11, applied: 11, skipped: 0, failed: 0 });
    expect(done.finishedAt).toBeDefined();
    await env.client.workflow.getHandle(bulkQueryOperationWorkflowId(id)).result();

    // One verdict per IE, paged by cursor; each IE retried once, its change log says who and why.
    const verdicts = await ledger(id);
    expect(verdicts.map((v) => v.dlqId).sort()).toEqual(sorted(a.ieIds, b.ieIds));
    expect(verdicts.every((v) => v.verdict === 'applied')).toBe(true);
    expect(await ledger(id, 'skipped')).toEqual([]);
    for (const ie of [...a.ieIds, ...b.ieIds]) {
      const doc = await waitForIe(ie, 'the IE to resolve', (d) => d.resolved);
      expect(doc.attempts).toBe(1);
      const { changes } = await harness.store.ieChanges.page(ie, 0, 50);
      const retries = changes.filter((change) => change.kind === 'retry');
      expect(retries).toHaveLength(1);
      expect(retries[0]?.reason).toBe('the shop is back');
    }
    expect(http.count('/qa')).toBe(12);
    expect(http.count('/qb')).toBe(10);
    // C's IEs are not matched: untouched.
    for (const ie of c.ieIds) expect((await harness.store.incompleteExecutions.get(ie))?.attempts).toBe(0);
    // Finished: no more moves.
    expect((await api.call('POST', `/dlqs/operations/${id}/resume`, { token })).status).toBe(409);

    // The same query again: every IE is resolved now, each skipped with the reason.
    const second = await api.call('POST', '/dlqs/operations', {
      token,
      body: { action: 'retry', query: { messageContains: 'order rejected' } },
    });
    const secondDone = await waitForState(second.body.operation.id, 'completed');
    expect(secondDone).toMatchObject({ matched: 11, applied: 0, skipped: 11, failed: 0 });
    const skipped = await ledger(secondDone.id, 'skipped');
    expect(new Set(skipped.map((v) => v.reason))).toEqual(new Set(['the incomplete execution is already resolved']));
    // Another organization cannot see or move it.
    expect((await api.call('GET', `/dlqs/operations/${id}`, { token: otherToken })).status).toBe(404);
    expect((await api.call('GET', `/dlqs/operations/${id}/items`, { token: otherToken })).status).toBe(404);
    expect((await api.call('POST', `/dlqs/operations/${id}/cancel`, { token: otherToken })).status).toBe(404);
  });

  test('a cancelled operation starts nothing more; the attempts under way finish', async () => {
    const { c } = parked;
    // A slow service: 3 attempts under way, the 4th waits for a place when the cancel comes.
    http.script('/qc', { status: 200, delayMs: 8000 });
    const started = await api.call('POST', '/dlqs/operations', {
      token,
      body: { action: 'retry', query: { scenarioIds: [c.scenarioId] } },
    });
    const id = started.body.operation.id as string;
    await waitFor('3 attempts under way', async () => (http.count('/qc') === 4 + 3 ? true : undefined), {
      timeoutMs: 90_000,
    });
    const cancelled = await api.call('POST', `/dlqs/operations/${id}/cancel`, { token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.operation.state).toBe('cancelled');
    expect(await env.client.workflow.getHandle(bulkQueryOperationWorkflowId(id)).result()).toBe('cancelled');
    const view = await operation(id);
    // A cancelled operation keeps the count it matched.
    expect(view).toMatchObject({ state: 'cancelled', matched: 4, applied: 3, skipped: 0, failed: 0 });
    expect(view.finishedAt).toBeDefined();
    const verdicts = await ledger(id);
    expect(verdicts).toHaveLength(3);
    const untouched = c.ieIds.filter((ie) => !verdicts.some((v) => v.dlqId === ie));
    expect(untouched).toHaveLength(1);
    expect((await harness.store.incompleteExecutions.get(untouched[0]!))?.attempts).toBe(0);
    expect((await api.call('POST', `/dlqs/operations/${id}/resume`, { token })).status).toBe(409);
    const listed = await api.call('GET', '/dlqs/operations', { token });
    expect(listed.body.operations[0].id).toBe(id);
  });
});
