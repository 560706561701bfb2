/**
 * The incomplete-executions API end to end: real HTTP against the real API, IEs parked by a real
 * worker on the real Temporal dev server, their modules calling a real local HTTP server. Every
 * request on an IE goes through its workflow's updates; bulk requests through the durable
 * `bulkOperation` workflow.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { blueprintSchema } from '../../src/domain';
import { waitFor } from '../../src/stack/wait';
import type { IncompleteExecutionDocument } from '../../src/store';
import { bulkOperationWorkflowId } from '../../src/temporal/client';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { writtenThroughByWorkflow } from '../helpers/ie-waits';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { allScopes, startApi, type RunningApi } from './support/api';
import { dlqEndpoints, type DlqIds } from './support/dlqs';

let env: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
const tokens = {} as Record<'a' | 'aRead' | 'aScenarios' | 'b', string>;
let orgB: number;
/** One scenario with one parked IE and one attempt, for the per-endpoint checks. */
let ids: DlqIds;
let scenarioB: number;

// Auto-retries an hour away: attempts happen only when a test asks for one.
const SCHEDULE = Array.from({ length: 8 }, () => 3_600_000);
const BULK_WAIT_MAX_IDS = 20;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { schedule: SCHEDULE });
  http = await new ScriptedHttpServer().start();
  api = await startApi(harness.store, harness.imex, { bulkWait: { maxIds: BULK_WAIT_MAX_IDS } });
  const { store, orgId } = harness;
  tokens.a = (await store.apiTokens.create({ orgId, scopes: allScopes })).token;
  tokens.aRead = (await store.apiTokens.create({ orgId, scopes: ['dlqs:read', 'scenarios:read'] })).token;
  tokens.aScenarios = (await store.apiTokens.create({ orgId, scopes: ['scenarios:read', 'scenarios:write'] })).token;
  orgB = (await store.organizations.create({ name: 'Other' }))._id;
  tokens.b = (await store.apiTokens.create({ orgId: orgB, scopes: allScopes })).token;
  scenarioB = (
    await store.scenarios.create({ orgId: orgB, name: 'B', blueprint: blueprintSchema.parse(dlqBlueprint('/b')) })
  ).id;

  // An IE with one failed attempt (so it has a log), and a finished bulk operation.
  const { scenarioId, ieIds } = await parkMany(1, '/shared');
  const dlqId = ieIds[0] as string;
  expect((await api.call('POST', `/dlqs/${dlqId}/retry`, { token: tokens.a })).status).toBe(200);
  await waitForIe(dlqId, 'the attempt to fail', (d) => d.attempts === 1 && d.status === 'unresolved');
  const [attempt] = await store.executions.listByIncompleteExecution(dlqId);
  const bulk = await api.call('POST', `/dlqs/retry?scenarioId=${scenarioId}`, {
    token: tokens.a,
    body: { ids: ['f'.repeat(32)] },
  });
  expect(bulk.status).toBe(200);
  const operation = await store.bulkOperations.operations.findOne({ orgId, scenarioId });
  ids = { dlqId, logId: attempt?.executionId as string, scenarioId, operationId: operation?._id as string };
});

afterAll(async () => {
  // First the server a hanging attempt waits on: its request fails, the worker can drain.
  await http?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
});

const webhook = webhookTrigger;
const httpModule = (id: number, path: string) => http.httpModule(id, path, { data: '{{1.n}}' });
function dlqBlueprint(path: string, settings: Record<string, unknown> = {}) {
  return { name: 'dlq test', flow: [webhook, httpModule(2, path)], metadata: { scenario: { dlq: true, ...settings } } };
}

/**
 * A scenario (storing IEs) whose module 2 posts to `path`, run `n` times: HTTP 400 is a DataError,
 * so each run parks one IE that waits for a person.
 */
async function parkMany(n: number, path: string, options: { settings?: Record<string, unknown>; data?: unknown } = {}) {
  http.script(path, { status: 400, body: { error: 'bad request' } });
  const scenarioId = await harness.createScenario(dlqBlueprint(path, options.settings), `parks at ${path}`);
  const runs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: options.data ?? { n: i } }),
    ),
  );
  const results = await Promise.all(runs.map((r) => harness.imex.scenarioRunResult(r.executionId)));
  const ieIds = results.map((r) => r.parked[0]?.ieId as string);
  expect(ieIds.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
  await Promise.all(
    ieIds.map((id) => waitForIe(id, 'the IE to wait', (d) => d.status === 'unresolved' && writtenThroughByWorkflow(d))),
  );
  return { scenarioId, ieIds };
}

async function ieDoc(ieId: string): Promise<IncompleteExecutionDocument | null> {
  return harness.store.incompleteExecutions.get(ieId);
}

function waitForIe(ieId: string, what: string, predicate: (doc: IncompleteExecutionDocument) => boolean) {
  return waitFor(
    what,
    async () => {
      const doc = await ieDoc(ieId);
      return doc && predicate(doc) ? doc : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

describe.each(dlqEndpoints.map((e) => [e.label, e] as const))('%s', (_label, endpoint) => {
  const call = (token: string | null, over: Partial<DlqIds> = {}) => {
    const at = { ...ids, ...over };
    return api.call(endpoint.method, endpoint.path(at), { token, body: endpoint.body?.(at) });
  };

  test('answers 401 without a token', async () => {
    const response = await call(null);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('IM_UNAUTHORIZED');
  });

  test(`answers 403 to a token without ${endpoint.scope}`, async () => {
    const response = await call(endpoint.scope === 'dlqs:read' ? tokens.aScenarios : tokens.aRead);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ code: 'IM_FORBIDDEN', message: expect.stringContaining(endpoint.scope) });
  });

  test("answers 404 to another organization's token", async () => {
    const response = await call(tokens.b);
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('IM_NOT_FOUND');
    const what = { dlq: `incomplete execution ${ids.dlqId}`, log: `incomplete execution ${ids.dlqId}` }[
      endpoint.owner as 'dlq'
    ];
    if (what) expect(response.body.message).toBe(`${what} not found`);
    if (endpoint.owner === 'scenario') expect(response.body.message).toBe(`scenario ${ids.scenarioId} not found`);
    if (endpoint.owner === 'operation') expect(response.body.message).toBe(`operation ${ids.operationId} not found`);
  });

  const param = { dlq: 'dlqId', log: 'logId', scenario: 'scenarioId', operation: 'operationId' }[endpoint.owner];
  test(`answers 400 naming ${param} when it is malformed`, async () => {
    const bad = endpoint.owner === 'scenario' ? { scenarioId: 'abc' } : { [param]: 'XYZ' };
    const response = await call(tokens.a, bad);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('IM_VALIDATION');
    expect(response.body.detail).toEqual([
      expect.objectContaining({ path: param, in: endpoint.owner === 'scenario' ? 'query' : 'params' }),
    ]);
  });
});

describe('GET /dlqs and /dlqs/{id}', () => {
  let scenarioId: number;
  let ieIds: string[];
  beforeAll(async () => {
    ({ scenarioId, ieIds } = await parkMany(3, '/listed'));
  });

  test("lists the scenario's IEs newest first with Make's fields and imex's", async () => {
    const response = await api.call('GET', `/dlqs?scenarioId=${scenarioId}`, { token: tokens.aRead });
    expect(response.status).toBe(200);
    expect(response.body.pg).toEqual({ offset: 0, limit: 100, sortBy: 'created', sortDir: 'desc' });
    expect(response.body.dlqs).toHaveLength(3);
    expect(new Set(response.body.dlqs.map((d: { id: string }) => d.id))).toEqual(new Set(ieIds));
    expect(response.body.dlqs[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      scenarioId,
      reason: expect.stringContaining('400'),
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      size: expect.any(Number),
      resolved: false,
      retry: false,
      attempts: 0,
      status: 'unresolved',
      errorType: 'DataError',
      failer: 2,
      nextRetryAt: null,
      waitingForSlot: false,
    });
    const created = response.body.dlqs.map((d: { created: string }) => d.created);
    expect([...created].sort().reverse()).toEqual(created);
  });

  test('pages, sorts and filters', async () => {
    const all = (await api.call('GET', `/dlqs?scenarioId=${scenarioId}&pg[sortDir]=asc`, { token: tokens.a })).body
      .dlqs as { id: string }[];
    const page = await api.call('GET', `/dlqs?scenarioId=${scenarioId}&pg[sortDir]=asc&pg[offset]=1&pg[limit]=1`, {
      token: tokens.a,
    });
    expect(page.body.dlqs.map((d: { id: string }) => d.id)).toEqual([all[1]?.id]);
    expect(page.body.pg).toEqual({ offset: 1, limit: 1, sortBy: 'created', sortDir: 'asc' });
    const pending = await api.call('GET', `/dlqs?scenarioId=${scenarioId}&status=pending`, { token: tokens.a });
    expect(pending.body.dlqs).toEqual([]);
    const dataErrors = await api.call('GET', `/dlqs?scenarioId=${scenarioId}&errorType=DataError&status=unresolved`, {
      token: tokens.a,
    });
    expect(dataErrors.body.dlqs).toHaveLength(3);
    // Without a scenario: the organization's IEs, never another's.
    const org = await api.call('GET', '/dlqs?pg[limit]=1000', { token: tokens.a });
    expect(org.body.dlqs.length).toBeGreaterThanOrEqual(4);
    expect((await api.call('GET', '/dlqs', { token: tokens.b })).body.dlqs).toEqual([]);
  });

  test('names each bad query parameter', async () => {
    const response = await api.call(
      'GET',
      '/dlqs?scenarioId=0&pg[limit]=0&pg[sortBy]=name&pg[sortDir]=up&status=done&errorType=Oops',
      { token: tokens.a },
    );
    expect(response.status).toBe(400);
    expect(response.body.detail.map((d: { path: string }) => d.path).sort()).toEqual(
      ['errorType', 'pg[limit]', 'pg[sortBy]', 'pg[sortDir]', 'scenarioId', 'status'].sort(),
    );
    expect((await api.call('GET', `/dlqs?scenarioId=${scenarioB}`, { token: tokens.a })).status).toBe(404);
  });

  test("shows one IE in Make's detail shape", async () => {
    const id = ieIds[0] as string;
    const doc = (await ieDoc(id)) as IncompleteExecutionDocument;
    const response = await api.call('GET', `/dlqs/${id}`, { token: tokens.aRead });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      dlq: {
        id,
        scenarioId,
        scenarioName: 'parks at /listed',
        companyId: harness.orgId,
        companyName: expect.any(String),
        reason: doc.error.message,
        resolved: false,
        deleted: false,
        index: 0,
        created: doc.created.toISOString(),
        executionId: doc.executionId,
        retry: false,
        attempts: 0,
        size: doc.size,
        status: 'unresolved',
        errorType: 'DataError',
        failer: 2,
        nextRetryAt: null,
        waitingForSlot: false,
      },
    });
    expect((await api.call('GET', `/dlqs/${'0'.repeat(32)}`, { token: tokens.a })).status).toBe(404);
  });

  test("shows the blueprint and Make's bundle shape, large bundles included", async () => {
    const id = ieIds[0] as string;
    const blueprint = await api.call('GET', `/dlqs/${id}/blueprint`, { token: tokens.a });
    expect(blueprint.body).toEqual({
      code: 'OK',
      response: { blueprint: expect.objectContaining({ name: 'dlq test', flow: expect.any(Array) }) },
    });
    expect(blueprint.body.response.blueprint.flow.map((m: { id: number }) => m.id)).toEqual([1, 2]);

    const bundle = await api.call('GET', `/dlqs/${id}/bundle`, { token: tokens.a });
    expect(bundle.status).toBe(200);
    expect(bundle.body).toEqual({
      code: 'OK',
      response: {
        '1': { value: expect.objectContaining({ n: expect.any(Number) }) },
        '2': { error: { type: 'DataError', message: expect.stringContaining('400') } },
      },
    });

    // Over 64 KiB: the bundle is stored by reference, and answered whole.
    const big = 'x'.repeat(100 * 1024);
    const { ieIds: bigIds } = await parkMany(1, '/big', { data: { n: 1, big } });
    const stored = JSON.parse((await ieDoc(bigIds[0] as string))?.context ?? '{}') as Record<string, unknown>;
    expect(stored['1']).toEqual({ $imexBlob: expect.any(String), bytes: expect.any(Number) });
    const large = await api.call('GET', `/dlqs/${bigIds[0]}/bundle`, { token: tokens.a });
    expect(large.body.response['1'].value.big).toBe(big);
  });
});

describe('PATCH /dlqs/{id}', () => {
  test('patches the blueprint (JSON text, as Make sends it) and the failer; the next attempt uses them', async () => {
    const { ieIds } = await parkMany(1, '/patch-me');
    const id = ieIds[0] as string;
    http.script('/patched', { status: 200, body: { ok: true } });
    const fixed = dlqBlueprint('/patched');
    const response = await api.call('PATCH', `/dlqs/${id}`, {
      token: tokens.a,
      body: { blueprint: JSON.stringify(fixed), failer: 2 },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      dlq: { failer: 2, blueprint: expect.objectContaining({ name: 'dlq test' }) },
    });
    expect(response.body.dlq.blueprint.flow[1].mapper.url).toBe(http.url('/patched'));
    expect(
      (await api.call('GET', `/dlqs/${id}/blueprint`, { token: tokens.a })).body.response.blueprint.flow[1].mapper.url,
    ).toBe(http.url('/patched'));
    // The patch alone starts nothing.
    await sleep(300);
    expect((await ieDoc(id))?.attempts).toBe(0);
    expect(http.count('/patched')).toBe(0);
  });

  test('a rejected PATCH names the field and leaves the IE byte for byte unchanged', async () => {
    const { ieIds } = await parkMany(1, '/keep');
    const id = ieIds[0] as string;
    const before = await ieDoc(id);
    const unknownModule = dlqBlueprint('/keep');
    unknownModule.flow.push({ id: 3, module: 'acme:Nope', version: 1, parameters: {}, mapper: {} } as never);
    const cases: [unknown, string][] = [
      [{ blueprint: unknownModule }, 'blueprint.flow[2].module'],
      [{ blueprint: '{"flow": [' }, 'blueprint'],
      [{ failer: 'two' }, 'failer'],
      [{ failer: 7 }, 'failer'],
      [{ bundles: { '2': { value: { a: 1 } } } }, 'bundles.2'],
      [{ bundles: { first: { value: {} } } }, 'bundles.first'],
      [{ failer: 2, colour: 'red' }, 'colour'],
    ];
    for (const [body, path] of cases) {
      const response = await api.call('PATCH', `/dlqs/${id}`, { token: tokens.a, body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.code).toBe('IM_VALIDATION');
      expect(response.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ path, in: 'body' })]));
    }
    expect(await ieDoc(id)).toEqual(before);
  });
});

describe('PATCH and resolve change only what they name; every change is logged', () => {
  let ops: { token: string; tokenId: string };
  beforeAll(async () => {
    const created = await harness.store.apiTokens.create({
      orgId: harness.orgId,
      scopes: allScopes,
      name: 'ops console',
    });
    ops = { token: created.token, tokenId: created.apiToken.id };
  });

  /** Module 2 succeeds, module 3 fails with a DataError: module 1 and 2 have bundles. */
  async function parkAtThird(path: string, n: number[]) {
    http.script(`${path}/first`, { status: 200, body: { step: 'one' } });
    http.script(`${path}/second`, { status: 400, body: { error: 'bad' } });
    const blueprint = {
      name: 'three modules',
      flow: [
        webhook,
        http.httpModule(2, `${path}/first`, { data: '{{1.n}}' }),
        http.httpModule(3, `${path}/second`, { data: '{{1.n}}:{{2.marker}}' }),
      ],
      metadata: { scenario: { dlq: true } },
    };
    const scenarioId = await harness.createScenario(blueprint, `three modules at ${path}`);
    const ieIds: string[] = [];
    for (const value of n) {
      const { executionId } = await harness.imex.startScenarioRun({
        orgId: harness.orgId,
        scenarioId,
        data: { n: value },
      });
      const ieId = (await harness.imex.scenarioRunResult(executionId)).parked[0]?.ieId as string;
      await waitForIe(ieId, 'the IE to wait', (d) => d.status === 'unresolved' && writtenThroughByWorkflow(d));
      ieIds.push(ieId);
    }
    return { scenarioId, ieIds };
  }

  async function changesOf(id: string, token = tokens.aRead) {
    const response = await api.call('GET', `/dlqs/${id}/changes`, { token });
    expect(response.status).toBe(200);
    return response.body.dlqChanges as {
      seq: number;
      kind: string;
      actor: Record<string, string>;
      reason?: string;
      changes: Record<string, unknown> & { bundles?: Record<string, { before: unknown; after: unknown }> };
    }[];
  }

  test('a PATCH of one bundle keeps the others; changes are logged with actor, reason, before and after, deletes too', async () => {
    const { scenarioId, ieIds } = await parkAtThird('/merge', [7]);
    const id = ieIds[0] as string;
    const stored = (await api.call('GET', `/dlqs/${id}/bundle`, { token: tokens.a })).body.response;
    expect(Object.keys(stored).sort()).toEqual(['1', '2', '3']);

    const response = await api.call('PATCH', `/dlqs/${id}`, {
      token: ops.token,
      body: { bundles: { '2': { value: { marker: 'fixed' } } }, reason: 'the service answered wrongly' },
    });
    expect(response.status).toBe(200);
    const bundle = (await api.call('GET', `/dlqs/${id}/bundle`, { token: tokens.a })).body.response;
    expect(bundle).toEqual({ '1': stored['1'], '2': { value: { marker: 'fixed' } }, '3': stored['3'] });

    // GET /bundle's shape comes back as it is: the failer's error entry is left alone.
    const roundTrip = await api.call('PATCH', `/dlqs/${id}`, { token: ops.token, body: { bundles: bundle } });
    expect(roundTrip.status).toBe(200);
    expect((await api.call('GET', `/dlqs/${id}/bundle`, { token: tokens.a })).body.response).toEqual(bundle);

    // Through Temporal directly (the Temporal CLI or Web UI): the actor says so.
    await harness.imex.signalIncompleteExecution(id, 'patch', { bundles: { '1': { value: { n: 8 } } } });
    const signalled = await waitFor(
      'the signalled patch to be logged',
      async () => {
        const changes = await changesOf(id);
        return changes.length === 2 ? changes : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    // The round trip changed nothing, so nothing was logged for it.
    expect(signalled.map((c) => c.seq)).toEqual([2, 1]);
    expect(signalled[0]).toMatchObject({
      kind: 'patch',
      actor: { type: 'temporal', via: 'signal', name: 'temporal signal' },
      changes: { bundles: { '1': { before: stored['1'].value, after: { n: 8 } } } },
    });
    expect(signalled[1]).toEqual({
      seq: 1,
      kind: 'patch',
      at: expect.stringMatching(/^\d{4}-/),
      actor: { type: 'token', tokenId: ops.tokenId, name: 'ops console' },
      reason: 'the service answered wrongly',
      requestId: expect.any(String),
      changes: { bundles: { '2': { before: stored['2'].value, after: { marker: 'fixed' } } } },
    });

    const deleted = await api.call('DELETE', `/dlqs?scenarioId=${scenarioId}`, {
      token: ops.token,
      body: { ids: [id], reason: 'handled by hand' },
    });
    expect(deleted).toMatchObject({ status: 200, body: { dlqs: [id] } });
    // The log of a deleted IE stays readable.
    const [deletion] = await changesOf(id);
    expect(deletion).toMatchObject({
      seq: 3,
      kind: 'delete',
      actor: { type: 'token', tokenId: ops.tokenId, name: 'ops console' },
      reason: 'handled by hand',
      changes: {
        status: { before: 'unresolved', after: 'deleted' },
        bundles: { '1': { before: { n: 8 }, after: null }, '2': { before: { marker: 'fixed' }, after: null } },
        blueprint: { before: { summary: true, sha256: expect.any(String), bytes: expect.any(Number) }, after: null },
      },
    });
    expect((await api.call('GET', `/dlqs/${id}/changes`, { token: tokens.b })).status).toBe(404);
  });

  test('a value no module could have output is refused naming its path, and nothing changes', async () => {
    const { ieIds } = await parkAtThird('/refuse', [1]);
    const id = ieIds[0] as string;
    const before = await ieDoc(id);
    const cases: [unknown, string][] = [
      [{ bundles: { '2': { value: 'text' } } }, 'bundles.2.value'],
      [{ bundles: { '2': { value: [1, 2] } } }, 'bundles.2.value'],
      [{ bundles: { '2': { value: null } } }, 'bundles.2.value'],
      [{ bundles: { '2': { value: 5 } } }, 'bundles.2.value'],
      [{ bundles: { '1': { value: { n: 2 } }, '2': {} } }, 'bundles.2.value'],
      [{ bundles: { '4': { value: { a: 1 } } } }, 'bundles.4'],
    ];
    for (const [body, path] of cases) {
      const response = await api.call('PATCH', `/dlqs/${id}`, { token: tokens.a, body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.detail).toEqual(expect.arrayContaining([expect.objectContaining({ path, in: 'body' })]));
    }
    const resolve = await api.call('POST', `/dlqs/${id}/resolve`, { token: tokens.a, body: cases[0]?.[0] });
    expect(resolve.status).toBe(400);
    expect(await ieDoc(id)).toEqual(before);
    expect(await changesOf(id)).toEqual([]);
  });

  test('a 3 MB PATCH is stored by reference, read back whole and used by the next attempt; a 9 MB resolve runs', async () => {
    const { ieIds } = await parkAtThird('/large', [1, 2]);
    const [patchedId, resolvedId] = ieIds as [string, string];
    const big = 'y'.repeat(3 * 1024 * 1024);
    const patch = await api.call('PATCH', `/dlqs/${patchedId}`, {
      token: ops.token,
      body: { bundles: { '2': { value: { marker: 'large', big } } }, reason: 'big edit' },
    });
    expect(patch.status).toBe(200);
    const doc = await ieDoc(patchedId);
    const context = JSON.parse(doc?.context ?? '{}') as Record<string, unknown>;
    expect(context['2']).toEqual({ $imexBlob: expect.any(String), bytes: expect.any(Number) });
    expect(doc?.context?.length).toBeLessThan(4096);
    const bundle = (await api.call('GET', `/dlqs/${patchedId}/bundle`, { token: tokens.a })).body.response;
    expect(bundle['2'].value.marker).toBe('large');
    expect(bundle['2'].value.big === big).toBe(true);
    expect(bundle['1']).toEqual({ value: { n: 1 } });

    http.script('/large/second', { status: 200, body: { saved: true } });
    const retry = await api.call('POST', `/dlqs/${patchedId}/retry`, { token: ops.token, body: { reason: 'fixed' } });
    expect(retry.status).toBe(200);
    await waitForIe(patchedId, 'the attempt to resolve it', (d) => d.resolved);
    expect(http.requestsTo('/large/second').map((r) => r.body)).toContain('1:large');

    const huge = 'z'.repeat(9 * 1024 * 1024);
    const resolve = await api.call('POST', `/dlqs/${resolvedId}/resolve`, {
      token: ops.token,
      body: { bundles: { '2': { value: { marker: 'huge', huge } } } },
    });
    expect(resolve.status).toBe(200);
    await waitForIe(resolvedId, 'the resolve to succeed', (d) => d.resolved);
    expect(http.requestsTo('/large/second').map((r) => r.body)).toContain('2:huge');

    const [retried, patched] = await changesOf(patchedId);
    expect(retried).toMatchObject({
      seq: 2,
      kind: 'retry',
      reason: 'fixed',
      actor: { type: 'token', tokenId: ops.tokenId, name: 'ops console' },
      changes: { status: { before: 'unresolved', after: 'in_progress' }, attempts: { before: 0, after: 1 } },
    });
    const bytes = Buffer.byteLength(JSON.stringify({ marker: 'large', big }));
    expect(patched).toMatchObject({
      seq: 1,
      kind: 'patch',
      reason: 'big edit',
      changes: {
        bundles: {
          '2': {
            after: { summary: true, sha256: context['2'] && (context['2'] as { $imexBlob: string }).$imexBlob, bytes },
          },
        },
      },
    });
    const [resolved] = await changesOf(resolvedId);
    expect(resolved).toMatchObject({ kind: 'resolve', changes: { bundles: { '2': { after: { summary: true } } } } });
    // The log never holds a blob reference, nor the large content.
    const raw = await harness.store.ieChanges.collection.find({ ieId: { $in: ieIds } }).toArray();
    expect(raw.length).toBeGreaterThan(0);
    for (const entry of raw) {
      const text = JSON.stringify(entry);
      expect(text).not.toContain('$imexBlob');
      expect(text.length).toBeLessThan(8192);
    }
  });
});

describe('retry, resolve and logs', () => {
  test('retry answers once the attempt runs; a second retry is 409 while it is in progress, and a PATCH too', async () => {
    const { scenarioId, ieIds } = await parkMany(2, '/hangs');
    const [busy, idle] = ieIds as [string, string];
    http.script('/hangs', { status: 0, hang: true });
    const first = await api.call('POST', `/dlqs/${busy}/retry`, { token: tokens.a });
    expect(first).toMatchObject({ status: 200, body: { dlq: busy } });
    await waitForIe(busy, 'the attempt to run', (d) => d.status === 'in_progress');

    const again = await api.call('POST', `/dlqs/${busy}/retry`, { token: tokens.a });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      code: 'IM_CONFLICT',
      message: `incomplete execution ${busy}: an attempt is in progress`,
      detail: { reason: 'an attempt is in progress' },
    });
    const before = await ieDoc(busy);
    const patch = await api.call('PATCH', `/dlqs/${busy}`, { token: tokens.a, body: { failer: 2 } });
    expect(patch.status).toBe(409);
    expect(await ieDoc(busy)).toEqual(before);

    // Bulk delete: the one in progress is listed in the 400, the other is deleted.
    const deleted = await api.call('DELETE', `/dlqs?scenarioId=${scenarioId}`, {
      token: tokens.a,
      body: { ids: [busy, idle] },
    });
    expect(deleted.status).toBe(400);
    expect(deleted.body).toEqual({
      code: 'IM_NOT_DELETED',
      message: expect.stringContaining('1 of 2 incomplete executions could not be deleted'),
      detail: { deleted: [idle], notDeleted: [{ id: busy, reason: 'an attempt is in progress' }] },
    });
    expect((await ieDoc(idle))?.deleted).toBe(true);
    expect((await api.call('GET', `/dlqs/${idle}`, { token: tokens.a })).status).toBe(404);
    expect((await ieDoc(busy))?.deleted).toBe(false);
  });

  test('resolve patches and retries at once; a resolved IE stays listed, answers 409 to retry, and can be deleted', async () => {
    const { scenarioId, ieIds } = await parkMany(1, '/resolve-me');
    const id = ieIds[0] as string;
    http.script('/fixed', { status: 200, body: { saved: true } });
    const response = await api.call('POST', `/dlqs/${id}/resolve`, {
      token: tokens.a,
      body: { blueprint: dlqBlueprint('/fixed') },
    });
    expect(response).toMatchObject({ status: 200, body: { dlq: id } });
    await waitForIe(id, 'the IE to resolve', (d) => d.resolved);
    // Its workflow ends right after writing the resolution through.
    await harness.imex.incompleteExecutionHandle(id).result();

    const listed = await api.call('GET', `/dlqs?scenarioId=${scenarioId}`, { token: tokens.a });
    expect(listed.body.dlqs).toEqual([
      expect.objectContaining({ id, resolved: true, status: 'resolved', attempts: 1 }),
    ]);
    const retry = await api.call('POST', `/dlqs/${id}/retry`, { token: tokens.a });
    expect(retry.status).toBe(409);
    expect(retry.body.detail.reason).toMatch(/resolved/);
    // Its bundles are gone once resolved; the error stays.
    const bundle = await api.call('GET', `/dlqs/${id}/bundle`, { token: tokens.a });
    expect(Object.keys(bundle.body.response)).toEqual(['2']);

    // The attempt, newest first, with its per-module log.
    const logs = await api.call('GET', `/dlqs/${id}/logs`, { token: tokens.aRead });
    expect(logs.status).toBe(200);
    expect(logs.body.dlqLogs).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        executionId: expect.stringMatching(/^[0-9a-f]{32}$/),
        status: 1,
        timestamp: expect.any(String),
        duration: expect.any(Number),
        operations: expect.any(Number),
      },
    ]);
    const logId = logs.body.dlqLogs[0].id as string;
    expect((await api.call('GET', `/dlqs/${id}/logs?status=3`, { token: tokens.a })).body.dlqLogs).toEqual([]);
    const log = await api.call('GET', `/dlqs/${id}/logs/${logId}`, { token: tokens.a });
    expect(log.body.dlqLog).toMatchObject({ id: logId, status: 1 });
    expect(log.body.dlqLog.log).toEqual([expect.objectContaining({ moduleId: 2, status: 'success' })]);
    expect((await api.call('GET', `/dlqs/${id}/logs/${'e'.repeat(32)}`, { token: tokens.a })).status).toBe(404);
    expect((await api.call('GET', `/dlqs/${id}/logs?from=soon`, { token: tokens.a })).body.detail).toEqual([
      expect.objectContaining({ path: 'from', in: 'query' }),
    ]);

    // A resolved IE has no workflow any more: it is deleted in the store, its quota stays released.
    const deleted = await api.call('DELETE', `/dlqs?scenarioId=${scenarioId}`, {
      token: tokens.a,
      body: { ids: [id] },
    });
    expect(deleted).toMatchObject({ status: 200, body: { dlqs: [id] } });
    expect(await ieDoc(id)).toMatchObject({ deleted: true, resolved: true });
    expect((await ieDoc(id))?.blueprint).toBeUndefined();
    expect((await api.call('GET', `/dlqs?scenarioId=${scenarioId}`, { token: tokens.a })).body.dlqs).toEqual([]);
  });
});

describe('bulk retry and delete', () => {
  test('retry by ids answers a verdict per id, in order: unknown, other scenario and other organization ids are refused', async () => {
    const { scenarioId, ieIds } = await parkMany(2, '/bulk-ids');
    const other = await parkMany(1, '/bulk-other');
    const otherOrg = ids.dlqId; // visible to org A only; asked through org B below
    const response = await api.call('POST', `/dlqs/retry?scenarioId=${scenarioId}`, {
      token: tokens.a,
      body: { ids: [...ieIds, 'a'.repeat(32), other.ieIds[0]] },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      dlqs: [
        { id: ieIds[0], accepted: true },
        { id: ieIds[1], accepted: true },
        { id: 'a'.repeat(32), accepted: false, reason: 'the incomplete execution was not found' },
        {
          id: other.ieIds[0],
          accepted: false,
          reason: `the incomplete execution belongs to another scenario (${other.scenarioId})`,
        },
      ],
    });
    for (const id of ieIds) await waitForIe(id, 'the attempt to fail', (d) => d.attempts === 1 && !d.resolved);

    const fromB = await api.call('POST', `/dlqs/retry?scenarioId=${scenarioB}`, {
      token: tokens.b,
      body: { ids: [otherOrg] },
    });
    expect(fromB.body).toEqual({
      dlqs: [{ id: otherOrg, accepted: false, reason: 'the incomplete execution was not found' }],
    });
  });

  test('names bad bulk bodies', async () => {
    const at = `/dlqs/retry?scenarioId=${ids.scenarioId}`;
    const cases: [unknown, string[]][] = [
      [{}, ['ids']],
      [{ ids: [] }, ['ids']],
      [{ ids: ['nope', 'b'.repeat(32)] }, ['ids[0]']],
      [{ ids: ['b'.repeat(32)], all: true }, ['all']],
      [{ all: false }, ['all']],
      [{ ids: ['b'.repeat(32)], exceptIds: [] }, ['exceptIds']],
      [{ all: true, exceptIds: ['x'] }, ['exceptIds[0]']],
    ];
    for (const [body, paths] of cases) {
      const response = await api.call('POST', at, { token: tokens.a, body });
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.detail.map((d: { path: string }) => d.path)).toEqual(paths);
    }
    const noScenario = await api.call('POST', '/dlqs/retry', { token: tokens.a, body: { ids: ['b'.repeat(32)] } });
    expect(noScenario.body.detail).toEqual([expect.objectContaining({ path: 'scenarioId', in: 'query' })]);
  });

  test('delete all needs confirmed=true (406 IM004), then deletes all but the exceptions', async () => {
    const { scenarioId, ieIds } = await parkMany(3, '/bulk-all');
    const [keep, ...rest] = ieIds as [string, string, string];
    const unconfirmed = await api.call('DELETE', `/dlqs?scenarioId=${scenarioId}`, {
      token: tokens.a,
      body: { all: true, exceptIds: [keep] },
    });
    expect(unconfirmed.status).toBe(406);
    expect(unconfirmed.body).toEqual({ code: 'IM004', message: expect.stringContaining('confirmed=true') });
    expect((await api.call('GET', `/dlqs?scenarioId=${scenarioId}`, { token: tokens.a })).body.dlqs).toHaveLength(3);

    const confirmed = await api.call('DELETE', `/dlqs?scenarioId=${scenarioId}&confirmed=true`, {
      token: tokens.a,
      body: { all: true, exceptIds: [keep] },
    });
    expect(confirmed.status).toBe(200);
    expect(new Set(confirmed.body.dlqs)).toEqual(new Set(rest));
    const left = await api.call('GET', `/dlqs?scenarioId=${scenarioId}`, { token: tokens.a });
    expect(left.body.dlqs.map((d: { id: string }) => d.id)).toEqual([keep]);
    // The scenario counts what is left.
    const scenario = await api.call('GET', `/scenarios/${scenarioId}`, { token: tokens.a });
    expect(scenario.body.scenario).toMatchObject({ dlqCount: 1, isWaitingOnIncompleteExecutions: false });
  });

  test('a sequential scenario with open IEs is waiting on them', async () => {
    const { scenarioId } = await parkMany(2, '/sequential', { settings: { sequential: true } });
    const scenario = await api.call('GET', `/scenarios/${scenarioId}`, { token: tokens.a });
    expect(scenario.body.scenario).toMatchObject({ dlqCount: 2, isWaitingOnIncompleteExecutions: true });
    const listed = await api.call('GET', '/scenarios', { token: tokens.a });
    expect(listed.body.scenarios.find((s: { id: number }) => s.id === scenarioId)).toMatchObject({ dlqCount: 2 });
  });

  test('30 IEs: retry all and delete by ids run as durable batch workflows; the API answers 202 and reports progress', async () => {
    const { scenarioId, ieIds } = await parkMany(30, '/many');
    http.script('/many', { status: 200, body: { ok: true } });

    const retry = await api.call('POST', `/dlqs/retry?scenarioId=${scenarioId}`, {
      token: tokens.a,
      body: { all: true, exceptIds: [] },
    });
    expect(retry.status).toBe(202);
    expect(retry.body.operation).toMatchObject({
      kind: 'retry',
      scenarioId,
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const operationId = retry.body.operation.id as string;
    const finished = await waitFor(
      'the bulk retry to finish',
      async () => {
        const progress = await api.call('GET', `/dlqs/operations/${operationId}`, { token: tokens.aRead });
        return progress.body.operation.status === 'completed' ? progress.body : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(finished.operation).toMatchObject({ total: 30, done: 30, succeeded: 30, failed: 0 });
    expect(new Set(finished.dlqs.map((v: { id: string }) => v.id))).toEqual(new Set(ieIds));
    expect(finished.dlqs.every((v: { accepted: boolean }) => v.accepted)).toBe(true);
    const page = await api.call('GET', `/dlqs/operations/${operationId}?pg[offset]=10&pg[limit]=5`, {
      token: tokens.a,
    });
    expect(page.body.dlqs).toEqual(finished.dlqs.slice(10, 15));
    const workflow = env.client.workflow.getHandle(bulkOperationWorkflowId(operationId));
    await expect(workflow.result()).resolves.toEqual({ operationId, total: 30, succeeded: 30, failed: 0 });
    for (const id of ieIds) await waitForIe(id, 'the IE to resolve', (d) => d.resolved);

    const del = await api.call('DELETE', `/dlqs?scenarioId=${scenarioId}`, { token: tokens.a, body: { ids: ieIds } });
    expect(del.status).toBe(202);
    const deleteId = del.body.operation.id as string;
    const deleted = await waitFor(
      'the bulk delete to finish',
      async () => {
        const progress = await api.call('GET', `/dlqs/operations/${deleteId}`, { token: tokens.a });
        return progress.body.operation.status === 'completed' ? progress.body : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(deleted.operation).toMatchObject({ kind: 'delete', total: 30, succeeded: 30 });
    expect(deleted.dlqs.map((v: { id: string }) => v.id)).toEqual(ieIds);
    expect((await api.call('GET', `/dlqs?scenarioId=${scenarioId}`, { token: tokens.a })).body.dlqs).toEqual([]);
  });
});
