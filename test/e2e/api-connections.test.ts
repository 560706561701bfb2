/**
 * Connections end to end: created through the API (the secret never comes back), named by id in
 * `http:ActionSendDataBasicAuth` / `http:ActionSendDataAPIKeyAuth`, resolved by the module activity
 * on a real worker, and checked by a real local HTTP server that answers 401 to wrong credentials.
 * The secret shows nowhere else: not in answers, bundles, the run's result, the IE's stored
 * document or the workflow's Temporal history.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { webhookTrigger } from '../helpers/blueprints';
import { startApi, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let api: RunningApi;
let token: string;
let service: http.Server;
let serviceUrl: string;
const seen: { path: string; authorization?: string; apiKey?: string; query: string }[] = [];

const password = 's3cret-Pa55word';
const apiKey = 'k3y-0123456789abcdef';
const expectedBasic = `Basic ${Buffer.from(`ada:${password}`).toString('base64')}`;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env);
  api = await startApi(harness.store, harness.imex);
  token = (
    await harness.store.apiTokens.create({
      orgId: harness.orgId,
      scopes: ['connections:read', 'connections:write', 'scenarios:read', 'scenarios:write'],
    })
  ).token;
  // The service checks credentials as a real API does: 401 unless they are right.
  service = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const authorization = req.headers['authorization'];
    const headerKey = req.headers['x-api-key'] as string | undefined;
    seen.push({ path: url.pathname, authorization, apiKey: headerKey, query: url.search });
    const ok =
      url.pathname === '/basic'
        ? authorization === expectedBasic
        : url.pathname === '/key-header'
          ? headerKey === apiKey
          : url.searchParams.get('api_key') === apiKey;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await api?.close();
  await harness?.stop();
  await new Promise((resolve) => service?.close(resolve));
  await env?.close();
});

async function createConnection(body: Record<string, unknown>): Promise<number> {
  const response = await api.call('POST', '/connections', { token, body });
  expect(response.status).toBe(200);
  return response.body.connection.id as number;
}

function authModule(module: string, parameters: Record<string, unknown>, path: string) {
  return {
    id: 2,
    module,
    version: 3,
    parameters: { handleErrors: true, ...parameters },
    mapper: { url: `${serviceUrl}${path}`, method: 'get', parseResponse: true, qs: [{ name: 'q', value: '{{1.q}}' }] },
  };
}

async function run(module: ReturnType<typeof authModule>) {
  const scenarioId = await harness.createScenario({
    name: module.module,
    flow: [webhookTrigger, module],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { q: 'x' } });
  const result = await harness.imex.scenarioRunResult(executionId);
  const history = await env.client.workflow.getHandle(`run-${executionId}`).fetchHistory();
  return { result, history: JSON.stringify(history) };
}

/** Whether any of the secret's forms shows in `text`. */
const leaks = (text: string) => [password, apiKey, expectedBasic.slice(6)].some((secret) => text.includes(secret));

test('POST /connections answers without the secret; GET lists and shows none; another organization sees 404', async () => {
  const created = await api.call('POST', '/connections', {
    token,
    body: { accountType: 'basicauth', accountName: 'Acme basic', username: 'ada', password },
  });
  expect(created.status).toBe(200);
  expect(created.body.connection).toEqual({
    id: expect.any(Number),
    name: 'Acme basic',
    accountName: 'Acme basic',
    accountType: 'basicauth',
    created: expect.any(String),
  });
  const list = await api.call('GET', '/connections', { token });
  expect(list.body.connections).toContainEqual(created.body.connection);
  expect(leaks(JSON.stringify(list.body))).toBe(false);

  const otherOrg = (await harness.store.organizations.create({ name: env.unique('other') }))._id;
  const otherToken = (await harness.store.apiTokens.create({ orgId: otherOrg, scopes: ['connections:read'] })).token;
  const foreign = await api.call('GET', `/connections/${created.body.connection.id}`, { token: otherToken });
  expect(foreign.status).toBe(404);
});

test('a bad connection body answers 400 naming the field', async () => {
  const response = await api.call('POST', '/connections', {
    token,
    body: { accountType: 'apikeyauth', accountName: 'k', key: '', name: 'bad header' },
  });
  expect(response.status).toBe(400);
  expect(response.body.detail).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ path: 'key', message: 'must not be empty' }),
      expect.objectContaining({ path: 'name', message: 'must be a header or parameter name' }),
    ]),
  );
});

test('Basic auth: the service gets the credentials, and the secret is in no bundle, result or history', async () => {
  const id = await createConnection({ accountType: 'basicauth', accountName: 'basic', username: 'ada', password });
  const { result, history } = await run(authModule('http:ActionSendDataBasicAuth', { key: id }, '/basic'));
  expect(result).toMatchObject({ status: 'success', operations: 2 });
  expect(seen.filter((r) => r.path === '/basic').at(-1)?.authorization).toBe(expectedBasic);
  expect(leaks(JSON.stringify(result))).toBe(false);
  expect(leaks(history)).toBe(false);
});

test('API key auth in a header and in the query string', async () => {
  const inHeader = await createConnection({
    accountType: 'apikeyauth',
    accountName: 'header key',
    key: apiKey,
    placement: 'header',
    name: 'X-API-Key',
  });
  const header = await run(authModule('http:ActionSendDataAPIKeyAuth', { auth: inHeader }, '/key-header'));
  expect(header.result).toMatchObject({ status: 'success' });
  expect(seen.filter((r) => r.path === '/key-header').at(-1)?.apiKey).toBe(apiKey);
  expect(leaks(header.history)).toBe(false);

  const inQuery = await createConnection({
    accountType: 'apikeyauth',
    accountName: 'query key',
    key: apiKey,
    placement: 'qs',
    name: 'api_key',
  });
  const query = await run(authModule('http:ActionSendDataAPIKeyAuth', { auth: inQuery }, '/key-query'));
  expect(query.result).toMatchObject({ status: 'success' });
  expect(seen.filter((r) => r.path === '/key-query').at(-1)?.query).toBe(`?q=x&api_key=${apiKey}`);
  expect(leaks(query.history)).toBe(false);
});

test('wrong credentials park an IE (InvalidAccessTokenError) whose stored document holds no secret', async () => {
  const id = await createConnection({
    accountType: 'basicauth',
    accountName: 'wrong',
    username: 'ada',
    password: `${password}-old`,
  });
  const { result, history } = await run(authModule('http:ActionSendDataBasicAuth', { key: id }, '/basic'));
  expect(result.parked).toHaveLength(1);
  const ieId = result.parked[0]?.ieId as string;
  const stored = await harness.store.incompleteExecutions.get(ieId);
  expect(stored).toMatchObject({ error: { type: 'InvalidAccessTokenError' } });
  expect(JSON.stringify(stored)).not.toContain(password);
  expect(history).not.toContain(password);
});

test('a deleted connection fails the module with InvalidConfigurationError naming it', async () => {
  const id = await createConnection({ accountType: 'basicauth', accountName: 'gone', username: 'ada', password });
  expect((await api.call('DELETE', `/connections/${id}`, { token })).body).toEqual({ connection: id });
  expect((await api.call('GET', `/connections/${id}`, { token })).status).toBe(404);
  const { result } = await run(authModule('http:ActionSendDataBasicAuth', { key: id }, '/basic'));
  const stored = await harness.store.incompleteExecutions.get(result.parked[0]?.ieId as string);
  expect(stored).toMatchObject({ error: { type: 'InvalidConfigurationError' } });
  expect(JSON.stringify(stored)).toContain(`connection ${id} does not exist in this organization`);
});

test('validation names the module and the missing connection id', async () => {
  const response = await api.call('POST', '/scenarios', {
    token,
    body: {
      blueprint: {
        name: 'no connection',
        flow: [webhookTrigger, { ...authModule('http:ActionSendDataBasicAuth', {}, '/basic') }],
        metadata: {},
      },
    },
  });
  expect(response.status).toBe(400);
  expect(response.body.detail).toEqual([
    expect.objectContaining({
      path: 'blueprint.flow[1].parameters.key',
      message: 'module 2 (http:ActionSendDataBasicAuth): a connection id is required',
    }),
  ]);
});
