/**
 * `/metrics` over real HTTP with a real worker: imex's counters move where things happen (a
 * webhook accepted, its run parking a bundle, a retry by token, the attempt that resolves it), and
 * the store figures follow (IEs by organization, scenario, status and error type; quota used).
 * Label sets hold no IE or execution ids.
 */
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { allScopes, startApi, type RunningApi } from './support/api';
import { hasSample, parseSamples, sampleValue, scrape } from './support/metrics';

let env: TestEnv;
let harness: ImexHarness;
let api: RunningApi;
let server: ScriptedHttpServer;
let token: string;
let origin: string;

beforeAll(async () => {
  env = await openTestEnv();
  // Auto-retry far away: the retry below is the token's.
  harness = await startImexHarness(env, { schedule: [600_000] });
  api = await startApi(harness.store, harness.imex, {
    webhooks: harness.imex,
    triggers: harness.imex,
    // Store figures read at every scrape, so the test sees each change at once.
    operations: { storeFiguresTtlMs: 0 },
  });
  origin = new URL(api.url).origin;
  server = await new ScriptedHttpServer().start();
  token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;
});
afterAll(async () => {
  await api?.close();
  await harness?.stop();
  await server?.stop();
  await env?.close();
});

test('counters and store figures move with a webhook, its park, a retry and the attempt that resolves it', async () => {
  server.script('/flaky', { status: 503 });
  const created = await api.call('POST', '/scenarios', {
    token,
    body: {
      name: 'metrics',
      blueprint: {
        name: 'metrics',
        flow: [webhookTrigger, server.httpModule(2, '/flaky', { data: '{"n":{{1.n}}}' })],
        metadata: { scenario: { dlq: true } },
      },
    },
  });
  expect(created.status).toBe(200);
  const scenario = created.body.scenario as { id: number; hookPath: string };
  expect((await api.call('POST', `/scenarios/${scenario.id}/start`, { token })).status).toBe(200);
  const org = String(harness.orgId);
  const scenarioId = String(scenario.id);

  const before = await scrape(origin);
  const parkedBefore = sampleValue(before, 'imex_ie_parks_total', { outcome: 'stored' });
  const startedBefore = sampleValue(before, 'imex_ie_attempts_started_total');
  const resolvedBefore = sampleValue(before, 'imex_ie_attempt_outcomes_total', { outcome: 'resolved' });
  const retriesBefore = sampleValue(before, 'imex_ie_requests_total', { kind: 'retry', actor: 'token' });
  expect(hasSample(before, 'imex_incomplete_executions', { scenario_id: scenarioId })).toBe(false);

  const hook = await fetch(`${origin}${scenario.hookPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ n: 1 }),
  });
  expect(hook.status).toBe(202);
  const ieId = await waitFor(
    'the park',
    async () => {
      const list = await api.call('GET', `/dlqs?scenarioId=${scenario.id}`, { token });
      const [ie] = list.body.dlqs as { id: string; status: string }[];
      return ie?.status === 'pending' ? ie.id : undefined;
    },
    { timeoutMs: 60_000 },
  );

  // Counters move at once; the store figures with the next read (scrapes never wait long for it).
  const parked = await waitFor(
    'the run to be counted and the park in the store figures',
    async () => {
      const text = await scrape(origin);
      const counted = sampleValue(text, 'imex_runs_total', { trigger: 'webhook' }) > 0;
      const listed = hasSample(text, 'imex_incomplete_executions', { scenario_id: scenarioId, status: 'pending' });
      return counted && listed ? text : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(sampleValue(parked, 'imex_webhooks_total', { scenario_id: scenarioId, outcome: 'accepted' })).toBe(1);
  expect(sampleValue(parked, 'imex_ie_parks_total', { outcome: 'stored' })).toBe(parkedBefore + 1);
  expect(sampleValue(parked, 'imex_ie_parks_total', { outcome: 'stored', error_type: 'ConnectionError' })).toBe(1);
  expect(
    sampleValue(parked, 'imex_incomplete_executions', {
      org_id: org,
      scenario_id: scenarioId,
      status: 'pending',
      error_type: 'ConnectionError',
    }),
  ).toBe(1);
  const used = sampleValue(parked, 'imex_quota_used_bytes', { org_id: org });
  expect(used).toBeGreaterThan(0);
  expect(sampleValue(parked, 'imex_quota_limit_bytes', { org_id: org })).toBeGreaterThan(used);
  expect(sampleValue(parked, 'imex_http_requests_total', { route: '/hooks/:hookId', status_code: '202' })).toBe(1);

  // The service is back; a person retries with the API.
  server.script('/flaky', { status: 200 });
  expect((await api.call('POST', `/dlqs/${ieId}/retry`, { token })).status).toBe(200);
  const resolved = await waitFor(
    'the resolve to be counted',
    async () => {
      const text = await scrape(origin);
      return sampleValue(text, 'imex_ie_attempt_outcomes_total', { outcome: 'resolved' }) > resolvedBefore
        ? text
        : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(sampleValue(resolved, 'imex_ie_attempts_started_total')).toBe(startedBefore + 1);
  expect(sampleValue(resolved, 'imex_ie_attempt_outcomes_total', { outcome: 'resolved' })).toBe(resolvedBefore + 1);
  expect(sampleValue(resolved, 'imex_ie_requests_total', { kind: 'retry', actor: 'token' })).toBe(retriesBefore + 1);
  expect(sampleValue(resolved, 'imex_runs_total', { trigger: 'attempt', status: 'success' })).toBeGreaterThan(0);
  const figures = await waitFor(
    'the store figures to show it resolved',
    async () => {
      const text = await scrape(origin);
      return hasSample(text, 'imex_incomplete_executions', { scenario_id: scenarioId, status: 'resolved' })
        ? text
        : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(sampleValue(figures, 'imex_incomplete_executions', { scenario_id: scenarioId, status: 'resolved' })).toBe(1);
  expect(hasSample(figures, 'imex_incomplete_executions', { scenario_id: scenarioId, status: 'pending' })).toBe(false);
  // A resolved IE holds no quota: the organization is no longer listed.
  expect(sampleValue(figures, 'imex_quota_used_bytes', { org_id: org })).toBe(0);
  expect(sampleValue(figures, 'imex_store_figures_up')).toBe(1);

  // Bounded labels: no IE or execution id anywhere.
  for (const sample of parseSamples(figures)) {
    for (const value of Object.values(sample.labels)) expect(value).not.toMatch(/^[0-9a-f]{32}$/);
  }
});

test('a full webhook queue is counted per scenario as queue_full (429)', async () => {
  // The exact cap is hooks.test.ts's; here a stand-in answers "full" and the route counts it.
  const stand = await startApi(harness.store, harness.imex, {
    webhooks: {
      acceptWebhook: async () => ({ status: 'queue-full' as const, scenarioId: 424242, queued: 1, cap: 1 }),
    },
  });
  try {
    const full = await fetch(`${new URL(stand.url).origin}/hooks/0123456789abcdef`, { method: 'POST' });
    expect(full.status).toBe(429);
    const text = await scrape(new URL(stand.url).origin);
    expect(sampleValue(text, 'imex_webhooks_total', { scenario_id: '424242', outcome: 'queue_full' })).toBe(1);
  } finally {
    await stand.close();
  }
});

test('/health/live answers while the process serves; /health/ready checks the store by default', async () => {
  expect(await (await fetch(`${origin}/health/live`)).json()).toEqual({ status: 'live' });
  expect((await fetch(`${origin}/healthz`)).status).toBe(200);
  const ready = await fetch(`${origin}/health/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready', checks: { store: { ok: true } } });
});
