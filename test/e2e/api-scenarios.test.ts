/**
 * The scenarios API end to end: real HTTP against a real Fastify server and the real store.
 * Runs are started through a recording stand-in for ImexClient here (api-run.test.ts starts real
 * ones on a real worker).
 */
import type { ApiImexClient } from '../../src/api';
import type { ExecutionRecord } from '../../src/store';
import { createStore, ensureIndexes, type Store } from '../../src/store';
import { ScenarioNotRunnableError } from '../../src/temporal/client';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { allScopes, noIncompleteExecutionRequests, startApi, webhookBlueprint, type RunningApi } from './support/api';
import { dataStoreEndpoints } from './support/data-stores';
import { dlqEndpoints } from './support/dlqs';

let env: TestEnv;
let store: Store;
let api: RunningApi;

/** What the stand-in ImexClient was asked, and what it does next. */
const runs: Parameters<ApiImexClient['startScenarioRun']>[0][] = [];
let nextRun: () => Promise<{ executionId: string; workflowId: string }>;
const imex: ApiImexClient = {
  ...noIncompleteExecutionRequests,
  startScenarioRun: async (input) => {
    runs.push(input);
    return nextRun();
  },
};

let orgA: number;
let orgB: number;
const tokens = {} as Record<'a' | 'aRead' | 'aDlqs' | 'aRevoked' | 'b', string>;
let scenarioA: number;
let scenarioB: number;

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  api = await startApi(store, imex);
  orgA = (await store.organizations.create({ name: 'Acme' }))._id;
  orgB = (await store.organizations.create({ name: 'Other' }))._id;
  tokens.a = (await store.apiTokens.create({ orgId: orgA, scopes: allScopes })).token;
  tokens.aRead = (await store.apiTokens.create({ orgId: orgA, scopes: ['scenarios:read'] })).token;
  tokens.aDlqs = (await store.apiTokens.create({ orgId: orgA, scopes: ['dlqs:read', 'dlqs:write'] })).token;
  const revoked = await store.apiTokens.create({ orgId: orgA, scopes: allScopes });
  await store.apiTokens.revoke(revoked.apiToken.id);
  tokens.aRevoked = revoked.token;
  tokens.b = (await store.apiTokens.create({ orgId: orgB, scopes: allScopes })).token;
  scenarioA = (await create(tokens.a, { name: 'A', blueprint: webhookBlueprint() })).id;
  scenarioB = (await create(tokens.b, { name: 'B', blueprint: webhookBlueprint() })).id;
});
afterAll(async () => {
  await api?.close();
  await env?.close();
});
beforeEach(() => {
  runs.length = 0;
  nextRun = async () => ({ executionId: 'a'.repeat(32), workflowId: `run-${'a'.repeat(32)}` });
});

async function create(token: string, body: unknown): Promise<{ id: number; [key: string]: unknown }> {
  const response = await api.call('POST', '/scenarios', { token, body });
  expect(response.status).toBe(200);
  return response.body.scenario;
}

/** Every endpoint, with the scope it needs and a request that would succeed. */
interface Endpoint {
  method: string;
  path: (id: number | string) => string;
  scope: string;
  withId: boolean;
  body?: unknown;
  /** As the OpenAPI document names it, when the path has more parameters than the scenario id. */
  label?: string;
}
const endpoints: Endpoint[] = [
  {
    method: 'POST',
    path: () => '/scenarios',
    scope: 'scenarios:write',
    withId: false,
    body: { name: 'x', blueprint: webhookBlueprint() },
  },
  { method: 'GET', path: () => '/scenarios', scope: 'scenarios:read', withId: false },
  { method: 'GET', path: (id) => `/scenarios/${id}`, scope: 'scenarios:read', withId: true },
  { method: 'GET', path: (id) => `/scenarios/${id}/blueprint`, scope: 'scenarios:read', withId: true },
  {
    method: 'PATCH',
    path: (id) => `/scenarios/${id}`,
    scope: 'scenarios:write',
    withId: true,
    body: { name: 'renamed' },
  },
  // Deletes nothing here: each check below is refused before (scenario-delete.test.ts deletes).
  { method: 'DELETE', path: (id) => `/scenarios/${id}`, scope: 'scenarios:write', withId: true },
  { method: 'POST', path: (id) => `/scenarios/${id}/start`, scope: 'scenarios:write', withId: true },
  { method: 'POST', path: (id) => `/scenarios/${id}/stop`, scope: 'scenarios:write', withId: true },
  { method: 'POST', path: (id) => `/scenarios/${id}/run`, scope: 'scenarios:write', withId: true, body: { data: {} } },
  { method: 'GET', path: (id) => `/scenarios/${id}/logs`, scope: 'scenarios:read', withId: true },
  {
    method: 'GET',
    path: (id) => `/scenarios/${id}/logs/${'a'.repeat(32)}`,
    scope: 'scenarios:read',
    withId: true,
    label: 'GET /scenarios/{scenarioId}/logs/{executionId}',
  },
];
const label = (e: Endpoint) => e.label ?? `${e.method} ${e.path('{scenarioId}')}`;

describe.each(endpoints.map((e) => [label(e), e] as const))('%s', (_name, endpoint) => {
  const call = (token: string | null, headers?: Record<string, string>) =>
    api.call(endpoint.method, endpoint.path(scenarioA), { token, body: endpoint.body, headers });

  test('answers 401 without a token, with a bad, malformed or revoked one', async () => {
    for (const response of [
      await call(null),
      await call('imex_not-a-real-token'),
      await call(tokens.aRevoked),
      await call(null, { authorization: `Bearer ${tokens.a}` }),
    ]) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ code: 'IM_UNAUTHORIZED', message: expect.any(String) });
    }
  });

  test(`answers 403 to a token without ${endpoint.scope}`, async () => {
    const token = endpoint.scope === 'scenarios:read' ? tokens.aDlqs : tokens.aRead;
    const response = await call(token);
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ code: 'IM_FORBIDDEN', message: expect.stringContaining(endpoint.scope) });
  });

  if (endpoint.withId) {
    test("answers 404 for another organization's scenario and for an unknown one", async () => {
      for (const [token, id] of [
        [tokens.b, scenarioA],
        [tokens.a, scenarioB],
        [tokens.a, 999_999],
      ] as const) {
        const response = await api.call(endpoint.method, endpoint.path(id), { token, body: endpoint.body });
        expect(response.status).toBe(404);
        expect(response.body).toEqual({ code: 'IM_NOT_FOUND', message: `scenario ${id} not found` });
      }
    });

    test('answers 400 naming scenarioId when the id is not a positive integer', async () => {
      for (const id of ['abc', '0', '1.5', '-3']) {
        const response = await api.call(endpoint.method, endpoint.path(id), { token: tokens.a, body: endpoint.body });
        expect(response.status).toBe(400);
        expect(response.body).toMatchObject({
          code: 'IM_VALIDATION',
          detail: [{ path: 'scenarioId', in: 'params', message: 'must be a positive integer' }],
        });
      }
    });
  }
});

describe('POST /scenarios', () => {
  test('creates an inactive scenario, as Make does, in the token’s organization', async () => {
    const scenario = await create(tokens.a, { name: 'Orders', blueprint: webhookBlueprint('Orders', { dlq: true }) });
    expect(scenario).toEqual({
      id: expect.any(Number),
      name: 'Orders',
      companyId: orgA,
      isActive: false,
      isWaitingOnIncompleteExecutions: false,
      dlqCount: 0,
      usedPackages: ['gateway', 'util'],
      settings: {
        dlq: true,
        sequential: false,
        dataloss: false,
        confidential: false,
        maxErrors: 3,
        autoCommit: true,
        autoCommitTriggerLast: true,
        roundtrips: 1,
        slots: null,
        freshVariables: false,
      },
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      lastEdit: scenario.created,
      // Its trigger is a webhook: a hook id is made for it (POST /hooks/<hookId>, no token).
      hookId: expect.stringMatching(/^[0-9a-f]{40}$/),
      hookPath: `/hooks/${scenario.hookId}`,
    });
    expect((await store.scenarios.get(orgA, scenario.id))?.blueprint.flow).toHaveLength(2);
    expect(await store.scenarios.get(orgB, scenario.id)).toBeNull();
  });

  test("takes the blueprint as Make sends it (JSON text, export wrapper) and defaults the name to the blueprint's", async () => {
    const fromText = await create(tokens.a, { blueprint: JSON.stringify(webhookBlueprint('From text')), teamId: 3 });
    expect(fromText.name).toBe('From text');
    const wrapped = JSON.stringify({
      blueprint: webhookBlueprint('Wrapped'),
      scheduling: { type: 'indefinitely', interval: 900 },
    });
    const fromExport = await create(tokens.a, { blueprint: wrapped });
    expect(fromExport.name).toBe('Wrapped');
    // The export's scheduling is applied, not dropped (api-scheduling.test.ts checks its Schedule).
    expect(fromExport.scheduling).toEqual({ type: 'indefinitely', interval: 900 });
  });

  test('names each bad field: the module id, the field and the reason, and unknown fields', async () => {
    const blueprint = webhookBlueprint();
    blueprint.flow.push({ id: 3, module: 'acme:Unknown', version: 1, parameters: {}, mapper: {} });
    blueprint.flow.push({ id: 4, module: 'util:SetVariable2', version: 1, parameters: {}, mapper: { value: 1 } });
    const response = await api.call('POST', '/scenarios', {
      token: tokens.a,
      body: { name: '  ', blueprint, settings: { dlq: 'yes' }, colour: 'red' },
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('IM_VALIDATION');
    expect(response.body.detail).toEqual(
      expect.arrayContaining([
        { path: 'name', in: 'body', message: 'must not be empty' },
        {
          path: 'blueprint.flow[2].module',
          in: 'body',
          moduleId: 3,
          message: 'module 3 (acme:Unknown): unknown module type "acme:Unknown"',
        },
        {
          path: 'blueprint.flow[3].mapper.name',
          in: 'body',
          moduleId: 4,
          message: expect.stringContaining('module 4'),
        },
        { path: 'settings.dlq', in: 'body', message: expect.any(String) },
        { path: 'colour', in: 'body', message: 'unknown field' },
      ]),
    );
    expect(response.body.detail).toHaveLength(5);
  });

  test('names a mapping that does not parse or calls an unknown function: the module, the field and the position', async () => {
    const blueprint = webhookBlueprint();
    const setVariable = (id: number, value: string) => ({
      id,
      module: 'util:SetVariable2',
      version: 1,
      parameters: {},
      mapper: { name: 'x', scope: 'roundtrip', value },
    });
    blueprint.flow.push(setVariable(3, '{{parseJSON(1.body)}}'), setVariable(4, 'a {{lower(1.x}}'));
    blueprint.flow.push(setVariable(5, '{{formatDate(now; "YYYY-MM-DD")}} {{ifempty(1.name; "n/a")}}'));
    const response = await api.call('POST', '/scenarios', { token: tokens.a, body: { name: 'iml', blueprint } });
    expect(response.status).toBe(400);
    expect(response.body.detail).toEqual([
      {
        path: 'blueprint.flow[2].mapper.value',
        in: 'body',
        moduleId: 3,
        message: "module 3 (util:SetVariable2): {{parseJSON(1.body)}}: unknown function 'parseJSON' at position 2",
      },
      {
        path: 'blueprint.flow[3].mapper.value',
        in: 'body',
        moduleId: 4,
        message: "module 4 (util:SetVariable2): {{lower(1.x}}: syntax error: expected ')' at position 13",
      },
    ]);
  });

  test('refuses a blueprint that is not JSON, not an object, or missing', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x', blueprint: '{"flow": [' }, 'blueprint'],
      [{ name: 'x', blueprint: 42 }, 'blueprint'],
      [{ name: 'x' }, 'blueprint'],
      [{ blueprint: webhookBlueprint('') }, 'name'],
    ];
    for (const [body, path] of cases) {
      const response = await api.call('POST', '/scenarios', { token: tokens.a, body });
      expect(response.status).toBe(400);
      expect(response.body.detail).toEqual([expect.objectContaining({ path, in: 'body' })]);
    }
  });

  test('answers malformed JSON with 400, and a body that is not an object names the body', async () => {
    const malformed = await api.call('POST', '/scenarios', { token: tokens.a, rawBody: '{"name": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'IM_VALIDATION', message: 'malformed JSON body' });
    const array = await api.call('POST', '/scenarios', { token: tokens.a, body: [1] });
    expect(array.status).toBe(400);
    expect(array.body.detail).toEqual([expect.objectContaining({ path: '', in: 'body' })]);
  });
});

describe('GET /scenarios and /scenarios/{id}', () => {
  test("lists only the organization's scenarios, paged with pg[offset] and pg[limit]", async () => {
    const all = await api.call('GET', '/scenarios', { token: tokens.a });
    expect(all.status).toBe(200);
    const ids: number[] = all.body.scenarios.map((s: { id: number }) => s.id);
    expect(ids).toContain(scenarioA);
    expect(ids).not.toContain(scenarioB);
    expect(all.body.scenarios.every((s: { companyId: number }) => s.companyId === orgA)).toBe(true);
    expect(all.body.pg).toEqual({ offset: 0, limit: 100 });

    const page = await api.call('GET', '/scenarios?pg[offset]=1&pg[limit]=1', { token: tokens.a });
    expect(page.body.scenarios.map((s: { id: number }) => s.id)).toEqual([ids[1]]);
    expect(page.body.pg).toEqual({ offset: 1, limit: 1 });
  });

  test('names bad paging parameters', async () => {
    const response = await api.call('GET', '/scenarios?pg[offset]=-1&pg[limit]=abc', { token: tokens.a });
    expect(response.status).toBe(400);
    expect(response.body.detail).toEqual([
      { path: 'pg[offset]', in: 'query', message: 'must be a whole number' },
      { path: 'pg[limit]', in: 'query', message: 'must be an integer from 1 to 10000' },
    ]);
  });

  test('gets one scenario and its blueprint in Make’s envelopes', async () => {
    const one = await api.call('GET', `/scenarios/${scenarioA}`, { token: tokens.aRead });
    expect(one.status).toBe(200);
    expect(one.body.scenario).toMatchObject({ id: scenarioA, companyId: orgA });
    const blueprint = await api.call('GET', `/scenarios/${scenarioA}/blueprint`, { token: tokens.aRead });
    expect(blueprint.body).toEqual({
      code: 'OK',
      response: { blueprint: expect.objectContaining({ flow: expect.any(Array), metadata: expect.any(Object) }) },
    });
  });
});

describe('PATCH /scenarios/{id}', () => {
  test('changes the name, the blueprint and the settings', async () => {
    const { id } = await create(tokens.a, { name: 'Before', blueprint: webhookBlueprint() });
    const renamed = await api.call('PATCH', `/scenarios/${id}`, { token: tokens.a, body: { name: 'After' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.scenario).toMatchObject({ id, name: 'After', settings: { dlq: false } });

    const settings = await api.call('PATCH', `/scenarios/${id}`, {
      token: tokens.a,
      body: { settings: { dlq: true, maxErrors: 5 } },
    });
    expect(settings.body.scenario.settings).toMatchObject({ dlq: true, maxErrors: 5 });
    expect((await store.scenarios.get(orgA, id))?.blueprint.metadata.scenario).toMatchObject({
      dlq: true,
      maxErrors: 5,
    });

    const next = webhookBlueprint('v2');
    next.flow.push({ id: 3, module: 'json:ParseJSON', version: 1, parameters: {}, mapper: { json: '{{1.raw}}' } });
    const replaced = await api.call('PATCH', `/scenarios/${id}`, {
      token: tokens.a,
      body: { blueprint: JSON.stringify(next) },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.scenario.usedPackages).toEqual(['gateway', 'util', 'json']);
    // A new blueprint brings its own settings unless the request sets some.
    expect(replaced.body.scenario.settings.dlq).toBe(false);
  });

  test('a rejected PATCH leaves the scenario byte for byte unchanged', async () => {
    const { id } = await create(tokens.a, { name: 'Keep', blueprint: webhookBlueprint('Keep', { dlq: true }) });
    const before = await store.scenarios.collection.findOne({ _id: id });
    const bad = webhookBlueprint();
    bad.flow.push({ id: 9, module: 'http:ActionSendData', version: 3, parameters: {}, mapper: { url: 42 } });
    const rejected = [
      { name: 'Changed', blueprint: bad },
      { name: 'Changed', settings: { dlq: false, maxErrors: -1 } },
      { name: 'Changed', settings: { dlq: false }, unknown: true },
      { name: '' },
    ];
    for (const body of rejected) {
      const response = await api.call('PATCH', `/scenarios/${id}`, { token: tokens.a, body });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('IM_VALIDATION');
    }
    expect(await store.scenarios.collection.findOne({ _id: id })).toEqual(before);
  });
});

describe('POST /scenarios/{id}/start, /stop and /run', () => {
  test('start and stop switch isActive, also with an empty JSON body', async () => {
    const { id } = await create(tokens.a, { name: 'Switch', blueprint: webhookBlueprint() });
    const started = await api.call('POST', `/scenarios/${id}/start`, {
      token: tokens.a,
      rawBody: '',
      headers: { 'content-type': 'application/json' },
    });
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ scenario: { id, isActive: true } });
    expect((await store.scenarios.get(orgA, id))?.isActive).toBe(true);
    const stopped = await api.call('POST', `/scenarios/${id}/stop`, { token: tokens.a });
    expect(stopped.body).toEqual({ scenario: { id, isActive: false } });
  });

  test('runs an active scenario with its input data and answers the executionId', async () => {
    const { id } = await create(tokens.a, { name: 'Run', blueprint: webhookBlueprint() });
    await api.call('POST', `/scenarios/${id}/start`, { token: tokens.a });
    const response = await api.call('POST', `/scenarios/${id}/run`, {
      token: tokens.a,
      body: { data: { name: 'Ada' } },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ executionId: 'a'.repeat(32) });
    expect(runs).toEqual([{ orgId: orgA, scenarioId: id, data: { name: 'Ada' }, trigger: 'manual' }]);

    const noBody = await api.call('POST', `/scenarios/${id}/run`, { token: tokens.a });
    expect(noBody.status).toBe(200);
    expect(runs[1]).toEqual({ orgId: orgA, scenarioId: id, data: undefined, trigger: 'manual' });
  });

  test('an inactive scenario answers 409 with the reason, and starts nothing', async () => {
    const { id } = await create(tokens.a, { name: 'Idle', blueprint: webhookBlueprint() });
    const response = await api.call('POST', `/scenarios/${id}/run`, { token: tokens.a, body: { data: {} } });
    expect(response.status).toBe(409);
    expect(response.body).toEqual({
      code: 'IM_CONFLICT',
      message: `scenario ${id} cannot run: the scenario is not active: start it first`,
      detail: { reason: 'the scenario is not active: start it first' },
    });
    expect(runs).toEqual([]);
  });

  test("the client's ScenarioNotRunnableError answers 409 with its reason", async () => {
    const { id } = await create(tokens.a, { name: 'Refused', blueprint: webhookBlueprint() });
    await api.call('POST', `/scenarios/${id}/start`, { token: tokens.a });
    nextRun = async () => {
      throw new ScenarioNotRunnableError('storage full');
    };
    const response = await api.call('POST', `/scenarios/${id}/run`, { token: tokens.a });
    expect(response.status).toBe(409);
    expect(response.body.detail).toEqual({ reason: 'storage full' });
  });

  test('unknown fields in the run body are named; unexpected failures answer 500 without internals', async () => {
    const { id } = await create(tokens.a, { name: 'Boom', blueprint: webhookBlueprint() });
    await api.call('POST', `/scenarios/${id}/start`, { token: tokens.a });
    const unknown = await api.call('POST', `/scenarios/${id}/run`, { token: tokens.a, body: { responsiv: true } });
    expect(unknown.body.detail).toEqual([{ path: 'responsiv', in: 'body', message: 'unknown field' }]);
    const bad = await api.call('POST', `/scenarios/${id}/run`, {
      token: tokens.a,
      body: { responsive: 'yes', callbackUrl: 'ftp://example.com/x' },
    });
    expect(bad.body.detail).toEqual([
      { path: 'responsive', in: 'body', message: 'must be true or false' },
      { path: 'callbackUrl', in: 'body', message: 'must be an http or https URL' },
    ]);
    expect(runs).toEqual([]);

    nextRun = async () => {
      throw new Error('secret connection string mongodb://user:pw@host');
    };
    const response = await api.call('POST', `/scenarios/${id}/run`, { token: tokens.a });
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ code: 'IM_INTERNAL', message: 'internal error' });
    expect(response.text).not.toMatch(/secret|at .*\.ts/);
  });
});

describe('GET /scenarios/{id}/logs', () => {
  test("lists the scenario's runs newest first, with Make's status codes", async () => {
    const { id } = await create(tokens.a, { name: 'Logged', blueprint: webhookBlueprint() });
    const base = Date.parse('2026-01-01T00:00:00Z');
    const record = (n: number, status: ExecutionRecord['status'], scenarioId = id): ExecutionRecord => ({
      executionId: `${n}`.padStart(32, '0'),
      orgId: orgA,
      scenarioId,
      status,
      startedAt: new Date(base + n * 1000),
      endedAt: new Date(base + n * 1000 + 250),
      durationMs: 250,
      operations: n,
      trigger: 'manual',
      log: [],
      ...(status === 'error' ? { error: { type: 'DataError', message: 'bad', moduleId: 2 } } : {}),
    });
    await store.executions.record(record(1, 'success'));
    await store.executions.record(record(2, 'warning'));
    await store.executions.record(record(3, 'error'));
    await store.executions.record(record(4, 'success', scenarioA));

    const response = await api.call('GET', `/scenarios/${id}/logs`, { token: tokens.aRead });
    expect(response.status).toBe(200);
    expect(response.body.scenarioLogs).toEqual([
      {
        id: record(3, 'error').executionId,
        status: 3,
        timestamp: '2026-01-01T00:00:03.000Z',
        duration: 250,
        operations: 3,
        trigger: 'manual',
        error: { type: 'DataError', message: 'bad', moduleId: 2 },
      },
      expect.objectContaining({ status: 2, operations: 2 }),
      expect.objectContaining({ status: 1, operations: 1 }),
    ]);
    const page = await api.call('GET', `/scenarios/${id}/logs?pg[offset]=1&pg[limit]=1`, { token: tokens.aRead });
    expect(page.body.scenarioLogs.map((l: { status: number }) => l.status)).toEqual([2]);
  });
});

describe('GET /openapi.json', () => {
  test('is public and lists every route with the scope it needs', async () => {
    const response = await api.call('GET', '/openapi.json');
    expect(response.status).toBe(200);
    const doc = response.body as { openapi: string; paths: Record<string, Record<string, { 'x-scope'?: string }>> };
    expect(doc.openapi).toMatch(/^3\./);
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => [
        `${method.toUpperCase()} ${path.replace('/api/v2', '')}`,
        op['x-scope'],
      ]),
    );
    const expected = [
      ...endpoints.map((e) => [label(e), e.scope]),
      ...dlqEndpoints.map((e) => [e.label, e.scope]),
      ...dataStoreEndpoints.map((e) => [e.label, e.scope]),
      ['POST /connections', 'connections:write'],
      ['GET /connections', 'connections:read'],
      ['GET /connections/{connectionId}', 'connections:read'],
      ['DELETE /connections/{connectionId}', 'connections:write'],
      // A scenario's webhook: public, outside /api/v2, as Make's hook URLs.
      ['POST /hooks/{hookId}', undefined],
      // The token's organization (organizations.test.ts).
      ['GET /organizations/{organizationId}', 'organizations:read'],
      ['PATCH /organizations/{organizationId}', 'organizations:write'],
      // The organization's alert digests (alert-digests.test.ts).
      ['GET /alerts', 'dlqs:read'],
      ['PUT /alerts', 'dlqs:write'],
      ['GET /alerts/digests', 'dlqs:read'],
      // Bulk operations by query (api-dlqs-bulk-query.test.ts).
      ['POST /dlqs/operations', 'dlqs:write'],
      ['GET /dlqs/operations', 'dlqs:read'],
      ['GET /dlqs/operations/{operationId}/items', 'dlqs:read'],
      ['POST /dlqs/operations/{operationId}/pause', 'dlqs:write'],
      ['POST /dlqs/operations/{operationId}/resume', 'dlqs:write'],
      ['POST /dlqs/operations/{operationId}/cancel', 'dlqs:write'],
    ];
    expect(listed.sort()).toEqual(expected.sort());
  });

  test('unknown routes answer 404 in the error shape', async () => {
    const response = await api.call('GET', '/nothing-here', { token: tokens.a });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ code: 'IM_NOT_FOUND', message: 'no route GET /api/v2/nothing-here' });
  });
});
