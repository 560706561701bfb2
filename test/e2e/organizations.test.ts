/**
 * An organization's incomplete-execution storage limit and usage, read and changed through the
 * real API (`GET/PATCH /organizations/{id}`) and the real CLI (`imex org show`, `imex org
 * set-quota`, `--verbose` saying which API or store it talks to), over the real store. The usage
 * is the quota ledger's, charged here as a park charges it.
 */
import { createStore, ensureIndexes, type Store } from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { noIncompleteExecutionRequests, startApi, type RunningApi } from './support/api';
import { runImexCli, type CliResult } from './support/cli';

const MB = 1024 * 1024;

let env: TestEnv;
let store: Store;
let api: RunningApi;
let operatorApi: RunningApi;
let orgA: number;
let orgB: number;
const tokens = {} as Record<'read' | 'write' | 'scenarios' | 'b', string>;

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  api = await startApi(store, {
    ...noIncompleteExecutionRequests,
    startScenarioRun: async () => ({ executionId: '', workflowId: '' }),
  });
  operatorApi = await startApi(
    store,
    { ...noIncompleteExecutionRequests, startScenarioRun: async () => ({ executionId: '', workflowId: '' }) },
    { quotaWrites: true },
  );
  orgA = (await store.organizations.create({ name: 'Acme', ieQuotaBytes: 2 * MB }))._id;
  orgB = (await store.organizations.create({ name: 'Other' }))._id;
  tokens.read = (await store.apiTokens.create({ orgId: orgA, scopes: ['organizations:read'] })).token;
  tokens.write = (
    await store.apiTokens.create({ orgId: orgA, scopes: ['organizations:read', 'organizations:write'] })
  ).token;
  tokens.scenarios = (await store.apiTokens.create({ orgId: orgA, scopes: ['scenarios:read'] })).token;
  tokens.b = (
    await store.apiTokens.create({ orgId: orgB, scopes: ['organizations:read', 'organizations:write'] })
  ).token;
  // What two parked IEs would hold.
  expect((await store.quota.reserve(orgA, 'ie-a', 1000, 2 * MB)).ok).toBe(true);
  expect((await store.quota.reserve(orgA, 'ie-b', 234, 2 * MB)).ok).toBe(true);
});

afterAll(async () => {
  await operatorApi?.close();
  await api?.close();
  await env?.close();
});

function imexCli(args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<CliResult> {
  return runImexCli(
    args,
    {
      MONGO_URL: process.env.IMEX_TEST_MONGO_URL,
      IMEX_MONGO_DB: env.db.databaseName,
      IMEX_API_URL: api.url,
      ...extraEnv,
    },
    60_000,
  );
}

test("reads the organization's quota and current usage; another organization's is not found", async () => {
  const response = await api.call('GET', `/organizations/${orgA}`, { token: tokens.read });
  expect(response.status).toBe(200);
  expect(response.body).toEqual({
    organization: { id: orgA, name: 'Acme', created: expect.any(String), ieQuotaBytes: 2 * MB, ieUsedBytes: 1234 },
  });
  expect((await api.call('GET', `/organizations/${orgB}`, { token: tokens.read })).status).toBe(404);
  expect((await api.call('GET', `/organizations/${orgA}`, { token: tokens.b })).status).toBe(404);
  expect((await api.call('GET', `/organizations/${orgA}`, { token: tokens.scenarios })).status).toBe(403);
  const bad = await api.call('GET', '/organizations/abc', { token: tokens.read });
  expect(bad.status).toBe(400);
  expect(bad.body.detail).toEqual([expect.objectContaining({ path: 'organizationId' })]);
});

test("by default the limit is the operator's: a token with organizations:write may not change it (403 naming the setting)", async () => {
  const refused = await api.call('PATCH', `/organizations/${orgA}`, {
    token: tokens.write,
    body: { ieQuotaBytes: 100 * MB },
  });
  expect(refused.status).toBe(403);
  expect(refused.body).toMatchObject({
    code: 'IM_FORBIDDEN',
    message: expect.stringContaining('IMEX_API_QUOTA_WRITES=true'),
  });
  expect((await store.organizations.get(orgA))?.ieQuotaBytes).toBe(2 * MB);
  // Another organization's id still answers 404, not 403.
  expect(
    (await api.call('PATCH', `/organizations/${orgA}`, { token: tokens.b, body: { ieQuotaBytes: MB } })).status,
  ).toBe(404);
});

test('with IMEX_API_QUOTA_WRITES a token with organizations:write changes the quota; a bad value is named and changes nothing', async () => {
  const api = operatorApi;
  expect(
    (await api.call('PATCH', `/organizations/${orgA}`, { token: tokens.read, body: { ieQuotaBytes: MB } })).status,
  ).toBe(403);
  for (const body of [{ ieQuotaBytes: -1 }, { ieQuotaBytes: 1.5 }, { ieQuotaBytes: '5' }, {}]) {
    const refused = await api.call('PATCH', `/organizations/${orgA}`, { token: tokens.write, body });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toEqual([expect.objectContaining({ path: 'ieQuotaBytes' })]);
  }
  const unknown = await api.call('PATCH', `/organizations/${orgA}`, {
    token: tokens.write,
    body: { ieQuotaBytes: MB, name: 'x' },
  });
  expect(unknown.status).toBe(400);
  expect((await store.organizations.get(orgA))?.ieQuotaBytes).toBe(2 * MB);
  expect(
    (await api.call('PATCH', `/organizations/${orgA}`, { token: tokens.b, body: { ieQuotaBytes: MB } })).status,
  ).toBe(404);

  const changed = await api.call('PATCH', `/organizations/${orgA}`, {
    token: tokens.write,
    body: { ieQuotaBytes: MB },
  });
  expect(changed.status).toBe(200);
  expect(changed.body.organization).toMatchObject({ ieQuotaBytes: MB, ieUsedBytes: 1234 });
  expect((await store.organizations.get(orgA))?.ieQuotaBytes).toBe(MB);
});

test('imex org show and set-quota; --verbose says which store and which API', async () => {
  const set = await imexCli(['org', 'set-quota', String(orgA), '--mb', '7', '--verbose']);
  expect(set.code).toBe(0);
  expect(set.stdout).toBe(
    `Organization ${orgA} "Acme": incomplete executions use 0.00 MB (1234 bytes) of 7 MB (${7 * MB} bytes)\n`,
  );
  expect(set.stderr).toMatch(/^imex: store: MongoDB at .* \(MONGO_URL\), database \S+\n$/);
  expect((await store.organizations.get(orgA))?.ieQuotaBytes).toBe(7 * MB);

  const shown = await imexCli(['org', 'show', String(orgA), '--json']);
  expect(JSON.parse(shown.stdout)).toEqual({ id: orgA, name: 'Acme', ieQuotaBytes: 7 * MB, ieUsedBytes: 1234 });
  expect(shown.stderr).toBe('');

  expect(await imexCli(['org', 'set-quota', String(orgA)])).toMatchObject({ code: 2 });
  expect(await imexCli(['org', 'set-quota', String(orgA), '--mb', '1', '--bytes', '5'])).toMatchObject({ code: 2 });
  expect(await imexCli(['org', 'show', '999999'])).toMatchObject({ code: 4 });

  // An API command with --verbose names the API and where the token came from, never the token.
  const viaApi = await imexCli(['scenario', 'list', '--verbose'], { IMEX_TOKEN: tokens.scenarios });
  expect(viaApi.code).toBe(0);
  expect(viaApi.stderr).toMatch(
    new RegExp(`^imex: API: GET ${api.url}/scenarios\\?\\S* \\(API from IMEX_API_URL, token from IMEX_TOKEN\\)\n$`),
  );
  expect(viaApi.stderr).not.toContain(tokens.scenarios);
});
