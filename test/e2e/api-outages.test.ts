/**
 * Outages answer 503 fast: while the store or Temporal is unreachable the API answers 503
 * `IM_UNAVAILABLE` with Retry-After within seconds, and accepts nothing it cannot make durable.
 * Each part starts its own throwaway server with the stack launcher and stops it, so the shared
 * servers of other test files are never touched. The API is wired as `npm start` wires it.
 */
import { loadConfig } from '../../src/config';
import { openFailFastApiClients, type FailFastApiClients } from '../../src/api/fail-fast-clients';
import { startLocalStack, type LocalStack } from '../../src/stack/local-stack';
import { createStore, ensureIndexes } from '../../src/store';
import { connectTemporal, type TemporalConnections } from '../../src/temporal/connection';
import { storeReadiness, temporalReadiness } from '../../src/observability/readiness';
import { webhookTrigger } from '../helpers/blueprints';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { allScopes, startApi, webhookBlueprint, type ApiResponse, type RunningApi } from './support/api';

let env: TestEnv;

beforeAll(async () => {
  env = await openTestEnv();
});
afterAll(async () => {
  await env?.close();
});

/** A stack of one throwaway server: the other one is the shared test server. */
function throwaway(kind: 'store' | 'temporal'): Promise<LocalStack> {
  return startLocalStack({
    config: loadConfig({
      ...process.env,
      MONGO_URL: kind === 'store' ? undefined : process.env.IMEX_TEST_MONGO_URL,
      TEMPORAL_ADDRESS: kind === 'temporal' ? undefined : process.env.IMEX_TEST_TEMPORAL_ADDRESS,
    }),
    mode: 'ephemeral',
    headless: true,
  });
}

interface Wired {
  temporal: TemporalConnections;
  clients: FailFastApiClients;
  api: RunningApi;
  token: string;
  orgId: number;
  close(): Promise<void>;
}

async function wireApi(
  mongoUrl: string,
  temporalAddress: string,
  dbName: string,
  callTimeoutMs?: number,
): Promise<Wired> {
  const config = loadConfig({ ...process.env, TEMPORAL_NAMESPACE: 'default' });
  const temporal = await connectTemporal(config, temporalAddress);
  const clients = await openFailFastApiClients({
    mongoUrl,
    dbName,
    temporal: temporal.apiClient,
    taskQueue: env.unique('outage'),
    ...(callTimeoutMs === undefined ? {} : { callTimeoutMs }),
  });
  const api = await startApi(clients.store, clients.imex, {
    webhooks: clients.imex,
    triggers: clients.imex,
    operations: { readiness: [storeReadiness(clients.store), temporalReadiness(temporal.apiClient)] },
  });
  const orgId = (await clients.store.organizations.create({ name: env.unique('org') }))._id;
  const token = (await clients.store.apiTokens.create({ orgId, scopes: allScopes })).token;
  return {
    temporal,
    clients,
    api,
    token,
    orgId,
    close: async () => {
      await api.close();
      await clients.close().catch(() => undefined);
      await temporal.close();
    },
  };
}

async function timed(what: string, request: () => Promise<ApiResponse & { retryAfter?: string | null }>) {
  const started = Date.now();
  const answer = await request();
  const ms = Date.now() - started;
  process.stdout.write(`${what}: ${answer.status} ${answer.body?.code ?? ''} in ${ms} ms\n`);
  return { ...answer, ms };
}

/** A request with the Retry-After header kept. */
async function send(api: RunningApi, method: string, url: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Token ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url.startsWith('/hooks') ? `${new URL(api.url).origin}${url}` : `${api.url}${url}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: text ? JSON.parse(text) : undefined,
    retryAfter: response.headers.get('retry-after'),
  };
}

/** `/health/ready` (and how long it took): 503 naming what fails, within seconds. */
async function readiness(api: RunningApi) {
  const started = Date.now();
  const response = await fetch(`${new URL(api.url).origin}/health/ready`);
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    ms: Date.now() - started,
  };
}

function expectUnavailable(answer: { status: number; body: unknown; retryAfter?: string | null; ms: number }) {
  expect(answer.status).toBe(503);
  expect(answer.body).toEqual({
    code: 'IM_UNAVAILABLE',
    message: expect.any(String),
    detail: { retryAfterSeconds: 5 },
  });
  expect(answer.retryAfter).toBe('5');
  // "Within a few seconds": the driver's server selection gives up after 2 s (one retry may double it).
  expect(answer.ms).toBeLessThan(10_000);
}

describe('the store is down', () => {
  let stack: LocalStack;
  let wired: Wired;
  let scenarioId: number;
  let hookPath: string;

  beforeAll(async () => {
    stack = await throwaway('store');
    wired = await wireApi(stack.mongoUrl, process.env.IMEX_TEST_TEMPORAL_ADDRESS as string, 'outage');
    const created = await wired.api.call('POST', '/scenarios', {
      token: wired.token,
      body: { name: 'hook', blueprint: webhookBlueprint('hook') },
    });
    expect(created.status).toBe(200);
    scenarioId = created.body.scenario.id;
    hookPath = created.body.scenario.hookPath;
    expect((await wired.api.call('POST', `/scenarios/${scenarioId}/start`, { token: wired.token })).status).toBe(200);
    // Up: a webhook is accepted, and the API is ready.
    expect((await send(wired.api, 'POST', hookPath, null, { n: 0 })).status).toBe(202);
    expect((await readiness(wired.api)).status).toBe(200);
    await stack.stop();
  });
  afterAll(async () => {
    await wired?.close();
    await stack?.stop();
  });

  test('readiness answers 503 naming the store, within seconds; liveness stays 200', async () => {
    const ready = await readiness(wired.api);
    process.stdout.write(`GET /health/ready, store down: ${ready.status} in ${ready.ms} ms\n`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'unavailable',
      failing: ['store'],
      checks: { store: { ok: false, error: expect.any(String) }, temporal: { ok: true } },
    });
    expect(ready.ms).toBeLessThan(10_000);
    expect((await fetch(`${new URL(wired.api.url).origin}/health/live`)).status).toBe(200);
  });

  test('a read answers 503 with Retry-After within seconds', async () => {
    expectUnavailable(
      await timed('GET /scenarios/{id}, store down', () =>
        send(wired.api, 'GET', `/scenarios/${scenarioId}`, wired.token),
      ),
    );
    expectUnavailable(
      await timed('GET /dlqs, store down', () => send(wired.api, 'GET', `/dlqs?scenarioId=${scenarioId}`, wired.token)),
    );
  });

  test('a write answers 503 with Retry-After within seconds', async () => {
    expectUnavailable(
      await timed('POST /scenarios, store down', () =>
        send(wired.api, 'POST', '/scenarios', wired.token, { name: 'x', blueprint: webhookBlueprint('x') }),
      ),
    );
  });

  test('a webhook answers 503, never 202, while its payload cannot be stored', async () => {
    expectUnavailable(
      await timed('POST /hooks/<id>, store down', () => send(wired.api, 'POST', hookPath, null, { n: 1 })),
    );
  });
});

describe('Temporal is down', () => {
  let stack: LocalStack;
  let wired: Wired;
  let scenarioId: number;
  let hookPath: string;
  const ieId = 'c'.repeat(32);

  beforeAll(async () => {
    stack = await throwaway('temporal');
    const dbName = env.db.databaseName;
    wired = await wireApi(process.env.IMEX_TEST_MONGO_URL as string, stack.temporalAddress, dbName);
    const store = createStore(env.db);
    await ensureIndexes(store);
    const created = await wired.api.call('POST', '/scenarios', {
      token: wired.token,
      body: { name: 'hook', blueprint: webhookBlueprint('hook', { dlq: true }) },
    });
    expect(created.status).toBe(200);
    scenarioId = created.body.scenario.id;
    hookPath = created.body.scenario.hookPath;
    expect((await wired.api.call('POST', `/scenarios/${scenarioId}/start`, { token: wired.token })).status).toBe(200);
    // An IE waiting for a person (its workflow would be on the Temporal server that goes away).
    await store.incompleteExecutions.insert(
      await store.incompleteExecutions.build({
        ieId,
        orgId: wired.orgId,
        scenarioId,
        scenarioName: 'hook',
        executionId: 'd'.repeat(32),
        failer: 2,
        bundleIndex: 0,
        blueprint: { name: 'hook', flow: [webhookTrigger], metadata: { scenario: { dlq: true } } } as never,
        context: { '1': { n: 1 } },
        error: { type: 'DataError', message: 'bad request', moduleId: 2 },
        retry: false,
      }),
    );
    expect((await readiness(wired.api)).status).toBe(200);
    await stack.stop();
  });
  afterAll(async () => {
    await wired?.close();
    await stack?.stop();
  });

  test('readiness answers 503 naming Temporal, within seconds', async () => {
    const ready = await readiness(wired.api);
    process.stdout.write(`GET /health/ready, Temporal down: ${ready.status} in ${ready.ms} ms\n`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'unavailable',
      failing: ['temporal'],
      checks: { store: { ok: true }, temporal: { ok: false, error: expect.any(String) } },
    });
    expect(ready.ms).toBeLessThan(10_000);
  });

  test('a retry answers 503 with Retry-After within seconds, and the IE is unchanged', async () => {
    const before = await wired.clients.store.incompleteExecutions.get(ieId);
    expectUnavailable(
      await timed('POST /dlqs/{id}/retry, Temporal down', () =>
        send(wired.api, 'POST', `/dlqs/${ieId}/retry`, wired.token),
      ),
    );
    expectUnavailable(
      await timed('PATCH /dlqs/{id}, Temporal down', () =>
        send(wired.api, 'PATCH', `/dlqs/${ieId}`, wired.token, { bundles: { '1': { value: { n: 2 } } } }),
      ),
    );
    expect(await wired.clients.store.incompleteExecutions.get(ieId)).toEqual(before);
  });

  test('a run answers 503 with Retry-After within seconds', async () => {
    expectUnavailable(
      await timed('POST /scenarios/{id}/run, Temporal down', () =>
        send(wired.api, 'POST', `/scenarios/${scenarioId}/run`, wired.token, { data: { n: 1 } }),
      ),
    );
  });

  test('a webhook is accepted once its payload is stored: the coordinator reads the queue when next woken', async () => {
    const answer = await timed('POST /hooks/<id>, Temporal down', () =>
      send(wired.api, 'POST', hookPath, null, { n: 7 }),
    );
    expect(answer.status).toBe(202);
    const queued = await wired.clients.store.webhooks.entries.find({ scenarioId }).toArray();
    expect(queued.map((entry) => entry.data)).toContain(JSON.stringify({ n: 7 }));
  });
});

describe('Temporal hangs (accepts connections, never answers)', () => {
  let stack: LocalStack;
  let wired: Wired;
  let scenarioId: number;
  const CALL_TIMEOUT_MS = 3_000;

  beforeAll(async () => {
    stack = await throwaway('temporal');
    wired = await wireApi(
      process.env.IMEX_TEST_MONGO_URL as string,
      stack.temporalAddress,
      env.db.databaseName,
      CALL_TIMEOUT_MS,
    );
    const created = await wired.api.call('POST', '/scenarios', {
      token: wired.token,
      body: { name: 'hang', blueprint: webhookBlueprint('hang') },
    });
    scenarioId = created.body.scenario.id;
    expect((await wired.api.call('POST', `/scenarios/${scenarioId}/start`, { token: wired.token })).status).toBe(200);
    for (const { pid } of stack.started) process.kill(-pid, 'SIGSTOP');
  });
  afterAll(async () => {
    for (const { pid } of stack?.started ?? []) {
      try {
        process.kill(-pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await wired?.close();
    await stack?.stop();
  });

  test('readiness answers 503 naming Temporal once its check times out', async () => {
    const ready = await readiness(wired.api);
    process.stdout.write(`GET /health/ready, Temporal stopped (SIGSTOP): ${ready.status} in ${ready.ms} ms\n`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ failing: ['temporal'] });
    expect(ready.ms).toBeLessThan(10_000);
  });

  test("a run answers 503 once the call's deadline has passed, not after the SDK's retries", async () => {
    const answer = await timed(
      `POST /scenarios/{id}/run, Temporal stopped (SIGSTOP), deadline ${CALL_TIMEOUT_MS} ms`,
      () => send(wired.api, 'POST', `/scenarios/${scenarioId}/run`, wired.token, { data: { n: 1 } }),
    );
    expectUnavailable(answer);
    expect(answer.ms).toBeGreaterThanOrEqual(CALL_TIMEOUT_MS - 100);
  });
});
