/**
 * `POST /hooks/<hookId>` over real HTTP with a real worker: 202 once the payload is durable and
 * the payload becomes the trigger's bundle; an unknown hook 404; a webhook scenario deactivated
 * on its first error, after which its hook answers 409 saying why; the queue cap answers 429,
 * exactly past the cap under concurrency; a burst runs every payload once; an Idempotency-Key
 * resend answers the first acceptance;
 * `scheduling` set by PATCH becomes a Temporal Schedule that stop pauses; an order key
 * (`metadata.scenario.imex.orderKey`) is validated (400 naming it) and holds back only its key.
 */
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { scenarioScheduleId } from '../../src/domain';
import { startApi, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let api: RunningApi;
let server: ScriptedHttpServer;
let token: string;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env);
  api = await startApi(harness.store, harness.imex, { webhooks: harness.imex, triggers: harness.imex });
  server = await new ScriptedHttpServer().start();
  token = (
    await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: ['scenarios:read', 'scenarios:write'] })
  ).token;
});
afterAll(async () => {
  await api?.close();
  await harness?.stop();
  await server?.stop();
  await env?.close();
});

async function hook(hookPath: string, body?: unknown, headers: Record<string, string> = {}) {
  const origin = new URL(api.url).origin;
  const response = await fetch(`${origin}${hookPath}`, {
    method: 'POST',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, any>) : undefined, // eslint-disable-line @typescript-eslint/no-explicit-any
    headers: response.headers,
  };
}

/** Creates and starts a webhook scenario through the API; returns its id and hook path. */
async function webhookScenario(name: string, path: string, settings: Record<string, unknown> = {}) {
  const created = await api.call('POST', '/scenarios', {
    token,
    body: {
      name,
      blueprint: {
        name,
        flow: [webhookTrigger, server.httpModule(2, path, { data: '{"n":{{1.n}}}' })],
        metadata: { scenario: settings },
      },
    },
  });
  expect(created.status).toBe(200);
  const scenario = created.body.scenario as { id: number; hookId: string; hookPath: string };
  expect(scenario.hookPath).toBe(`/hooks/${scenario.hookId}`);
  expect((await api.call('POST', `/scenarios/${scenario.id}/start`, { token })).status).toBe(200);
  return scenario;
}

test('a hook answers 202 once the payload is durable, and the payload becomes the trigger bundle', async () => {
  server.script('/hooked', { status: 200 });
  const { id, hookPath } = await webhookScenario('Hooked', '/hooked');
  const accepted = await hook(hookPath, { n: 7 });
  expect(accepted).toMatchObject({
    status: 202,
    body: { accepted: true, scenarioId: id, executionId: expect.stringMatching(/^[0-9a-f]{32}$/) },
  });
  await waitFor('the run', async () => (server.count('/hooked') === 1 ? true : undefined), { timeoutMs: 30_000 });
  expect(JSON.parse(server.requestsTo('/hooked')[0]?.body ?? '')).toEqual({ n: 7 });
  const logs = await waitFor(
    'the run in the logs',
    async () => {
      const l = await api.call('GET', `/scenarios/${id}/logs`, { token });
      return l.body.scenarioLogs.length ? l.body.scenarioLogs : undefined;
    },
    { timeoutMs: 30_000 },
  );
  // The 202 names the execution the payload became.
  expect(logs).toEqual([
    expect.objectContaining({
      id: (accepted.body as { executionId: string }).executionId,
      status: 1,
      trigger: 'webhook',
    }),
  ]);
  expect((await hook('/hooks/0123456789abcdef0123456789abcdef01234567', { n: 1 })).status).toBe(404);
});

test('a webhook scenario is deactivated on its first error; its hook then answers 409 saying why', async () => {
  server.script('/rejects', { status: 400 });
  const { id, hookPath } = await webhookScenario('Fails once', '/rejects');
  expect((await hook(hookPath, { n: 1 })).status).toBe(202);
  const detail = await waitFor(
    'the scenario to be deactivated',
    async () => {
      const s = await api.call('GET', `/scenarios/${id}`, { token });
      return s.body.scenario.isActive ? undefined : s.body.scenario;
    },
    { timeoutMs: 30_000 },
  );
  expect(detail.deactivationReason).toMatch(/webhook run ended with an error.*first error.*DataError/);
  const refused = await hook(hookPath, { n: 2 });
  expect(refused.status).toBe(409);
  expect(refused.body).toMatchObject({
    code: 'IM_SCENARIO_INACTIVE',
    message: expect.stringMatching(/inactive: it was deactivated because a webhook run ended with an error/),
  });
  expect(server.count('/rejects')).toBe(1);

  // Reactivated, it takes payloads again.
  await api.call('POST', `/scenarios/${id}/start`, { token });
  expect((await hook(hookPath, { n: 3 })).status).toBe(202);
});

test('the queue cap answers 429 and keeps what it accepted', async () => {
  server.script('/capped', { status: 400 }, { status: 200 });
  const { id, hookPath } = await webhookScenario('Capped', '/capped', {
    dlq: true,
    sequential: true,
    imex: { webhookQueueCap: 3 },
  });
  expect((await hook(hookPath, { n: 0 })).status).toBe(202); // parks: the scenario waits on its IE
  await waitFor(
    'the scenario to wait on its incomplete execution',
    async () => ((await harness.imex.coordinatorState(id))?.blocked === 'incomplete-executions' ? true : undefined),
    { timeoutMs: 30_000 },
  );
  const detail = await api.call('GET', `/scenarios/${id}`, { token });
  expect(detail.body.scenario).toMatchObject({ isWaitingOnIncompleteExecutions: true, dlqCount: 1 });
  for (const n of [1, 2, 3]) expect((await hook(hookPath, { n })).status).toBe(202);
  const full = await hook(hookPath, { n: 4 });
  expect(full.status).toBe(429);
  expect(full.headers.get('retry-after')).toBe('5');
  expect(full.body).toMatchObject({
    code: 'IM_QUEUE_FULL',
    message: expect.stringContaining('is full (3 payloads waiting, cap 3)'),
  });
  expect(await harness.store.webhooks.queued(id)).toBe(3);
});

test('PATCH scheduling creates a Temporal Schedule that runs the scenario; stop pauses it', async () => {
  server.script('/every-second', { status: 200 });
  const { id } = await webhookScenario('Scheduled', '/every-second');
  const patched = await api.call('PATCH', `/scenarios/${id}`, {
    token,
    body: { scheduling: { type: 'indefinitely', interval: 1 } },
  });
  expect(patched.status).toBe(200);
  expect(patched.body.scenario.scheduling).toEqual({ type: 'indefinitely', interval: 1 });
  const schedule = env.client.schedule.getHandle(scenarioScheduleId(harness.taskQueue, id));
  try {
    await waitFor('a scheduled run', async () => (server.count('/every-second') >= 1 ? true : undefined), {
      timeoutMs: 30_000,
    });
    expect((await schedule.describe()).state.paused).toBe(false);
    await api.call('POST', `/scenarios/${id}/stop`, { token });
    expect((await schedule.describe()).state.paused).toBe(true);
    const bad = await api.call('PATCH', `/scenarios/${id}`, { token, body: { scheduling: { type: 'daily' } } });
    expect(bad.status).toBe(400);
  } finally {
    await api.call('PATCH', `/scenarios/${id}`, { token, body: { scheduling: { type: 'on-demand' } } });
  }
  await expect(schedule.describe()).rejects.toThrow();
});

/** The `n` of every request the scripted service got on `path`. */
const received = (path: string) => server.requestsTo(path).map((r) => (JSON.parse(r.body) as { n: number }).n);

test('a burst of concurrent posts: each answered at once, every accepted payload runs exactly once', async () => {
  server.script('/burst', { status: 200 });
  const { hookPath } = await webhookScenario('Burst', '/burst');
  const n = 150;
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => hook(hookPath, { n: i })));
  expect(answers.map((a) => a.status)).toEqual(Array(n).fill(202));
  expect(new Set(answers.map((a) => a.body?.executionId)).size).toBe(n);
  await waitFor('every run', async () => (server.count('/burst') >= n ? true : undefined), { timeoutMs: 120_000 });
  // Nothing more comes (no duplicate), and each payload came once.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(received('/burst').sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
});

test('the cap is exact under concurrency: exactly cap accepted, the rest 429 with Retry-After', async () => {
  server.script('/capped-burst', { status: 400 }, { status: 200 });
  const cap = 20;
  const { id, hookPath } = await webhookScenario('Capped burst', '/capped-burst', {
    dlq: true,
    sequential: true,
    imex: { webhookQueueCap: cap },
  });
  expect((await hook(hookPath, { n: -1 })).status).toBe(202); // parks: nothing drains from now on
  await waitFor(
    'the scenario to wait on its incomplete execution',
    async () => ((await harness.imex.coordinatorState(id))?.blocked === 'incomplete-executions' ? true : undefined),
    { timeoutMs: 30_000 },
  );
  const answers = await Promise.all(Array.from({ length: 80 }, (_, i) => hook(hookPath, { n: i })));
  expect(answers.filter((a) => a.status === 202)).toHaveLength(cap);
  const refused = answers.filter((a) => a.status !== 202);
  expect(refused).toHaveLength(80 - cap);
  for (const r of refused) {
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('5');
  }
  expect(await harness.store.webhooks.queued(id)).toBe(cap);
});

test('Idempotency-Key: a resend answers the first acceptance and queues nothing; another payload under it is refused', async () => {
  server.script('/keyed', { status: 200 });
  const { id, hookPath } = await webhookScenario('Keyed', '/keyed');
  const first = await hook(hookPath, { n: 1 }, { 'idempotency-key': 'order-1' });
  expect(first.status).toBe(202);
  expect(first.headers.get('idempotent-replayed')).toBeNull();
  const again = await hook(hookPath, { n: 1 }, { 'idempotency-key': 'order-1' });
  expect(again).toMatchObject({ status: 202, body: first.body });
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  // Ten resends at once of a new key: one acceptance, one run.
  const burst = await Promise.all(
    Array.from({ length: 10 }, () => hook(hookPath, { n: 2 }, { 'idempotency-key': 'order-2' })),
  );
  expect(burst.map((b) => b.status)).toEqual(Array(10).fill(202));
  expect(new Set(burst.map((b) => b.body?.executionId)).size).toBe(1);
  expect(first.body?.executionId).not.toBe(burst[0]?.body?.executionId);
  // The first key with another payload: refused and nothing queued, not answered as the first (which
  // would drop this payload without a word).
  const reused = await hook(hookPath, { n: 9 }, { 'idempotency-key': 'order-1' });
  expect(reused.status).toBe(422);
  expect(reused.body).toMatchObject({
    code: 'IM_IDEMPOTENCY_KEY_REUSED',
    detail: [{ path: 'Idempotency-Key', message: 'already used for another payload' }],
  });
  await waitFor('both runs', async () => (server.count('/keyed') >= 2 ? true : undefined), { timeoutMs: 30_000 });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(received('/keyed').sort()).toEqual([1, 2]);
  expect(await harness.store.webhooks.entries.countDocuments({ scenarioId: id })).toBe(2);

  const bad = await hook(hookPath, { n: 3 }, { 'idempotency-key': 'has space' });
  expect(bad.status).toBe(400);
  expect(bad.body).toMatchObject({
    code: 'IM_VALIDATION',
    detail: [expect.objectContaining({ path: 'Idempotency-Key' })],
  });
});

test('metadata.scenario.imex.orderKey: a bad key answers 400 naming it; a keyed hook holds back only the failed key', async () => {
  const refused = await api.call('POST', '/scenarios', {
    token,
    body: {
      name: 'bad order key',
      blueprint: {
        name: 'bad order key',
        flow: [webhookTrigger, server.httpModule(2, '/bad-key')],
        metadata: { scenario: { sequential: true, imex: { orderKey: '{{2.id}}' } } },
      },
    },
  });
  expect(refused.status).toBe(400);
  expect(refused.body.detail).toEqual([
    {
      path: 'blueprint.metadata.scenario.imex.orderKey',
      in: 'body',
      message: 'orderKey may map only the trigger (module 1), not module 2',
    },
  ]);

  server.script('/keyed-hook/A', { status: 400 });
  server.script('/keyed-hook/B', { status: 200 });
  const { id, hookPath } = await webhookScenario('keyed hook', '/keyed-hook/{{1.customerId}}', {
    dlq: true,
    sequential: true,
    imex: { orderKey: '{{1.customerId}}' },
  });
  expect((await hook(hookPath, { customerId: 'A', n: 1 })).status).toBe(202);
  await waitFor(
    'A1 to park',
    async () => ((await harness.store.incompleteExecutions.countOpen(harness.orgId, id)) === 1 ? true : undefined),
    {
      timeoutMs: 60_000,
    },
  );
  expect((await hook(hookPath, { customerId: 'A', n: 2 })).status).toBe(202);
  expect((await hook(hookPath, { customerId: 'B', n: 3 })).status).toBe(202);
  await waitFor('B to run past A', async () => (server.count('/keyed-hook/B') === 1 ? true : undefined), {
    timeoutMs: 60_000,
  });
  expect(server.count('/keyed-hook/A')).toBe(1);
  expect(await harness.store.webhooks.queued(id)).toBeGreaterThanOrEqual(1); // A2 waits
});
