/**
 * `gateway:WebhookRespond` over real HTTP with a real worker: the caller of `POST /hooks/<id>` gets
 * the status, headers and body the run sets; a run that ends without responding, a run slower
 * than the bound, and a payload that waits in the queue (a sequential scenario with an open IE,
 * or with an order key an open IE of its key) answer 202 Accepted as before.
 */
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { startApi, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let api: RunningApi;
let server: ScriptedHttpServer;
let token: string;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env);
  // A bound far above a run's time on a loaded machine; the slow-run test starts its own short one.
  api = await startApi(harness.store, harness.imex, {
    webhooks: harness.imex,
    triggers: harness.imex,
    webhookResponseWaitMs: 60_000,
  });
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

const respondModule = (id: number, mapper: Record<string, unknown>) => ({
  id,
  module: 'gateway:WebhookRespond',
  version: 1,
  parameters: {},
  mapper,
});

async function startedScenario(name: string, flow: unknown[], settings: Record<string, unknown> = {}) {
  const created = await api.call('POST', '/scenarios', {
    token,
    body: { name, blueprint: { name, flow, metadata: { scenario: settings } } },
  });
  expect([created.status, created.body.detail]).toEqual([200, undefined]);
  expect((await api.call('POST', `/scenarios/${created.body.scenario.id}/start`, { token })).status).toBe(200);
  return created.body.scenario as { id: number; hookPath: string };
}

async function hook(hookPath: string, body: unknown, through: RunningApi = api) {
  const response = await fetch(`${new URL(through.url).origin}${hookPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

test('the caller gets the status, headers and body the scenario sets', async () => {
  const { hookPath } = await startedScenario('Respond', [
    webhookTrigger,
    { id: 2, module: 'json:CreateJSON', version: 1, parameters: {}, mapper: { order: '{{1.id}}', ok: true } },
    respondModule(3, { status: 201, body: '{{2.json}}', headers: [{ key: 'X-Order', value: '{{1.id}}' }] }),
  ]);
  const answer = await hook(hookPath, { id: 'o-9' });
  expect(answer.status).toBe(201);
  expect(answer.headers.get('x-order')).toBe('o-9');
  expect(answer.headers.get('content-type')).toMatch(/application\/json/);
  expect(JSON.parse(answer.text)).toEqual({ order: 'o-9', ok: true });
});

test('a text body with a Content-Type of its own is sent as is', async () => {
  const { hookPath } = await startedScenario('Respond text', [
    webhookTrigger,
    respondModule(2, { status: 200, body: 'hello {{1.name}}', headers: [{ key: 'Content-Type', value: 'text/html' }] }),
  ]);
  const answer = await hook(hookPath, { name: 'Ada' });
  expect([answer.status, answer.headers.get('content-type'), answer.text]).toEqual([200, 'text/html', 'hello Ada']);
});

test('a run that ends without responding answers 202 Accepted', async () => {
  const { hookPath } = await startedScenario('No match, no response', [
    webhookTrigger,
    {
      id: 2,
      module: 'regexp:Parser',
      version: 1,
      parameters: { pattern: '^#(\\d+)' },
      mapper: { text: '{{1.subject}}' },
    },
    respondModule(3, { status: 200, body: '{{2.`$1`}}' }),
  ]);
  const answer = await hook(hookPath, { subject: 'no number here' });
  expect(answer.status).toBe(202);
  expect(JSON.parse(answer.text)).toMatchObject({ accepted: true });
});

test('a run slower than the bound answers 202 Accepted, and still runs to the end', async () => {
  server.script('/slow', { status: 200, delayMs: 4_000 });
  const { hookPath } = await startedScenario('Slow', [
    webhookTrigger,
    server.httpModule(2, '/slow', { data: '{}' }),
    respondModule(3, { status: 200, body: 'late' }),
  ]);
  // An API whose bound (1.5 s) is well below the service's delay (4 s).
  const short = await startApi(harness.store, harness.imex, { webhooks: harness.imex, webhookResponseWaitMs: 1_500 });
  const answer = await hook(hookPath, {}, short).finally(() => short.close());
  expect(answer.status).toBe(202);
  const { executionId } = JSON.parse(answer.text) as { executionId: string };
  expect(await harness.imex.scenarioRunResult(executionId)).toMatchObject({ status: 'success' });
  expect(await harness.store.webhookResponses.get(executionId)).toMatchObject({ status: 200, body: 'late' });
});

test('a payload that waits in the queue (sequential scenario, open IE) answers 202 at once', async () => {
  server.script('/refuses', { status: 400, body: { error: 'bad' } });
  const { hookPath } = await startedScenario(
    'Sequential',
    [webhookTrigger, server.httpModule(2, '/refuses', { data: '{}' }), respondModule(3, { status: 200, body: 'done' })],
    { dlq: true, sequential: true },
  );
  const first = await hook(hookPath, { n: 1 });
  expect(first.status).toBe(202); // its run parked an IE, without responding
  const second = await hook(hookPath, { n: 2 });
  expect(second.status).toBe(202); // it waits behind the open IE
  expect(server.count('/refuses')).toBe(1);
});

test("with an order key, a payload of another key than the open IE's gets the scenario's answer; one of its key 202 at once", async () => {
  server.script('/crm-by-key/A', { status: 400, body: { error: 'bad' } });
  server.script('/crm-by-key/B', { status: 200 });
  const { id, hookPath } = await startedScenario(
    'Sequential by key',
    [
      webhookTrigger,
      server.httpModule(2, '/crm-by-key/{{1.customerId}}', { data: '{}' }),
      respondModule(3, { status: 200, body: 'done {{1.customerId}}' }),
    ],
    { dlq: true, sequential: true, imex: { orderKey: '{{1.customerId}}' } },
  );
  expect((await hook(hookPath, { customerId: 'A' })).status).toBe(202); // parked, without responding
  expect(await harness.store.incompleteExecutions.countOpen(harness.orgId, id)).toBe(1);
  const held = await hook(hookPath, { customerId: 'A' });
  expect(held.status).toBe(202); // it waits behind A's open IE
  const other = await hook(hookPath, { customerId: 'B' });
  expect([other.status, other.text]).toEqual([200, 'done B']);
  expect(server.count('/crm-by-key/A')).toBe(1);
});
