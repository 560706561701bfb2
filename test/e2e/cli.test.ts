/**
 * The `imex` CLI as a real process: operator commands against the real store, scenario commands
 * against a running API. Checks output, exit codes, and that errors never print a stack.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApiImexClient } from '../../src/api';
import { createStore, ensureIndexes, type Store } from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { noIncompleteExecutionRequests, startApi, webhookBlueprint, type RunningApi } from './support/api';
import { runImexCli, type CliResult } from './support/cli';

let env: TestEnv;
let store: Store;
let api: RunningApi;
let dir: string;
const runs: unknown[] = [];
const imex: ApiImexClient = {
  ...noIncompleteExecutionRequests,
  startScenarioRun: async (input) => {
    runs.push(input);
    return { executionId: 'c'.repeat(32), workflowId: `run-${'c'.repeat(32)}` };
  },
};

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

function expectNoStack(result: CliResult): void {
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).not.toMatch(/^\s+at /m);
}

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  api = await startApi(store, imex);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imex-cli-'));
});
afterAll(async () => {
  await api?.close();
  await env?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('operator commands (the store)', () => {
  test('org create, token create/list/revoke; the token works until revoked', async () => {
    const org = await imexCli(['org', 'create', '--name', 'Acme', '--quota-mb', '5', '--json']);
    expect(org).toMatchObject({ code: 0, stderr: '' });
    const { id: orgId, ieQuotaBytes } = JSON.parse(org.stdout) as { id: number; ieQuotaBytes: number };
    expect(ieQuotaBytes).toBe(5 * 1024 * 1024);
    expect((await store.organizations.get(orgId))?.name).toBe('Acme');

    const created = await imexCli([
      'token',
      'create',
      '--org',
      String(orgId),
      '--scopes',
      'scenarios:read',
      '--name',
      'ci',
    ]);
    expect(created.code).toBe(0);
    const lines = created.stdout.trim().split('\n');
    const token = lines[lines.length - 1] as string;
    expect(token).toMatch(/^imex_/);
    expect(lines[0]).toMatch(/^Token [0-9a-f]{16} for organization \d+ \(scenarios:read\)\.$/);
    const tokenId = /^Token ([0-9a-f]{16})/.exec(lines[0] as string)?.[1] as string;

    const list = await imexCli(['token', 'list', '--org', String(orgId)]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+SCOPES\s+CREATEDAT\s+REVOKED$/m);
    expect(list.stdout).toContain(tokenId);
    expect(list.stdout).not.toContain(token);

    expect((await imexCli(['scenario', 'list', '--token', token])).code).toBe(0);
    const revoked = await imexCli(['token', 'revoke', tokenId]);
    expect(revoked).toMatchObject({ code: 0, stdout: `Token ${tokenId} revoked\n` });
    const refused = await imexCli(['scenario', 'list'], { IMEX_TOKEN: token });
    expect(refused).toMatchObject({ code: 3, stderr: 'error: invalid or revoked token [IM_UNAUTHORIZED]\n' });
  });

  test('uses the token npm start saved for the local API, and never sends it to another API', async () => {
    const org = JSON.parse((await imexCli(['org', 'create', '--name', 'Local', '--json'])).stdout) as { id: number };
    const created = await imexCli(['token', 'create', '--org', String(org.id), '--scopes', 'scenarios:read']);
    const token = created.stdout.trim().split('\n').pop() as string;
    const dataDir = await fs.mkdtemp(path.join(dir, 'data-'));
    await fs.writeFile(path.join(dataDir, 'local-token'), `${token}\n`);
    const { hostname, port } = new URL(api.url);
    const local = { IMEX_API_URL: undefined, IMEX_API_HOST: hostname, IMEX_API_PORT: port, IMEX_DATA_DIR: dataDir };
    expect(await imexCli(['scenario', 'list'], local)).toMatchObject({ code: 0, stderr: '' });
    const elsewhere = await imexCli(['scenario', 'list'], { IMEX_DATA_DIR: dataDir });
    expect(elsewhere).toMatchObject({ code: 3 });
    expect(elsewhere.stderr).toMatch(/^error: no API token/);
  });

  test('refuses unknown organizations, tokens and scopes with their own exit codes', async () => {
    const noOrg = await imexCli(['token', 'create', '--org', '999999', '--scopes', 'all']);
    expect(noOrg).toMatchObject({ code: 4, stderr: 'error: organization 999999 not found\n' });
    const badScope = await imexCli(['token', 'create', '--org', '1', '--scopes', 'dlqs:read,admin']);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('unknown scope admin');
    const noToken = await imexCli(['token', 'revoke', 'ffffffffffffffff']);
    expect(noToken).toMatchObject({ code: 4, stderr: 'error: token ffffffffffffffff not found\n' });
    for (const result of [noOrg, badScope, noToken]) expectNoStack(result);
  });

  test('without MONGO_URL and no local store, says how to get one', async () => {
    const result = await imexCli(['org', 'create', '--name', 'X'], { MONGO_URL: undefined, IMEX_STORE_PORT: '9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: cannot reach a local imex store on 127\.0\.0\.1:9 .*start imex with npm start, or set MONGO_URL\n$/,
    );
    expectNoStack(result);
  });
});

describe('scenario commands (the API)', () => {
  let token: string;
  let otherToken: string;

  beforeAll(async () => {
    const org = await store.organizations.create({ name: 'Scenarios' });
    token = (await store.apiTokens.create({ orgId: org._id, scopes: ['scenarios:read', 'scenarios:write'] })).token;
    const other = await store.organizations.create({ name: 'Other' });
    otherToken = (await store.apiTokens.create({ orgId: other._id, scopes: ['scenarios:read'] })).token;
  });

  test('create --start, list, show, run, logs', async () => {
    const file = path.join(dir, 'blueprint.json');
    await fs.writeFile(file, JSON.stringify({ blueprint: webhookBlueprint('From file'), scheduling: {} }));
    const created = await imexCli(['scenario', 'create', '--file', file, '--dlq', '--start', '--json'], {
      IMEX_TOKEN: token,
    });
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const { scenario } = JSON.parse(created.stdout) as {
      scenario: { id: number; isActive: boolean; settings: { dlq: boolean } };
    };
    expect(scenario).toMatchObject({ isActive: true, settings: { dlq: true } });

    const list = await imexCli(['scenarios', 'list'], { IMEX_TOKEN: token });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${scenario.id}\\s+From file\\s+yes\\s+0\\s+yes\\s+\\d{4}-`, 'm'));

    const show = await imexCli(['scenario', 'get', String(scenario.id)], { IMEX_TOKEN: token });
    expect(show.stdout).toContain(`Scenario ${scenario.id} "From file"`);
    expect(show.stdout).toMatch(/active:\s+yes/);

    const run = await imexCli(['scenario', 'run', String(scenario.id), '--data', '{"name":"Ada"}'], {
      IMEX_TOKEN: token,
    });
    expect(run).toMatchObject({ code: 0, stdout: `${'c'.repeat(32)}\n` });
    expect(runs).toContainEqual(expect.objectContaining({ scenarioId: scenario.id, data: { name: 'Ada' } }));

    const logs = await imexCli(['scenario', 'logs', String(scenario.id)], { IMEX_TOKEN: token });
    expect(logs).toMatchObject({ code: 0, stdout: '(none)\n' });
  });

  test('errors: invalid blueprint names each field (2), not found (4), inactive run (5), bad JSON data (2)', async () => {
    const file = path.join(dir, 'bad.json');
    const bad = webhookBlueprint('Bad');
    bad.flow.push({ id: 5, module: 'acme:Nope', version: 1, parameters: {}, mapper: {} });
    await fs.writeFile(file, JSON.stringify(bad));
    const invalid = await imexCli(['scenario', 'create', '--file', file], { IMEX_TOKEN: token });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(
      '  blueprint.flow[2].module: module 5 (acme:Nope): unknown module type "acme:Nope"',
    );

    const created = await imexCli(['scenario', 'create', '--file', path.join(dir, 'blueprint.json'), '--json'], {
      IMEX_TOKEN: token,
    });
    const id = (JSON.parse(created.stdout) as { scenario: { id: number } }).scenario.id;
    const inactive = await imexCli(['scenario', 'run', String(id)], { IMEX_TOKEN: token });
    expect(inactive.code).toBe(5);
    expect(inactive.stderr).toBe(
      `error: scenario ${id} cannot run: the scenario is not active: start it first [IM_CONFLICT]\n`,
    );

    const otherOrg = await imexCli(['scenario', 'show', String(id)], { IMEX_TOKEN: otherToken });
    expect(otherOrg).toMatchObject({ code: 4, stderr: `error: scenario ${id} not found [IM_NOT_FOUND]\n` });

    const badData = await imexCli(['scenario', 'run', String(id), '--data', '{oops'], { IMEX_TOKEN: token });
    expect(badData.code).toBe(2);
    expect(badData.stderr).toMatch(/^error: --data is not valid JSON/);

    const notAnId = await imexCli(['scenario', 'show', 'abc'], { IMEX_TOKEN: token });
    expect(notAnId.code).toBe(2);
    for (const result of [invalid, inactive, otherOrg, badData, notAnId]) expectNoStack(result);
  });

  test('--help works everywhere and exits 0; unknown commands exit 2', async () => {
    const help = await imexCli(['scenario', 'run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: imex scenario run [options] <id>');
    const unknown = await imexCli(['scenario', 'explode']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'explode'");
  });

  test('an unreachable API is a clear error', async () => {
    const result = await imexCli(['scenario', 'list', '--token', token, '--api-url', 'http://127.0.0.1:9']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: cannot reach the imex API at http:\/\/127\.0\.0\.1:9\/api\/v2 .*set IMEX_API_URL\n$/,
    );
  });
});

describe('data store commands (the API)', () => {
  test('datastructure create, datastore create, put (checked field by field), records, delete', async () => {
    const org = await store.organizations.create({ name: 'Data stores' });
    const scopes = ['datastores:read', 'datastores:write', 'udts:read', 'udts:write'] as const;
    const withToken = { IMEX_TOKEN: (await store.apiTokens.create({ orgId: org._id, scopes: [...scopes] })).token };
    const spec = JSON.stringify([
      { name: 'name', type: 'text', required: true },
      { name: 'visits', type: 'number' },
    ]);
    const structure = await imexCli(
      ['datastructure', 'create', '--name', 'customer', '--spec', spec, '--json'],
      withToken,
    );
    expect(structure).toMatchObject({ code: 0, stderr: '' });
    const structureId = (JSON.parse(structure.stdout) as { dataStructure: { id: number } }).dataStructure.id;
    const created = await imexCli(
      [
        'datastore',
        'create',
        '--name',
        'Customers',
        '--max-size-mb',
        '1',
        '--structure',
        String(structureId),
        '--json',
      ],
      withToken,
    );
    const storeId = (JSON.parse(created.stdout) as { dataStore: { id: number } }).dataStore.id;

    const put = await imexCli(['datastore', 'put', String(storeId), 'c1', '{"name":"Ada","visits":"2"}'], withToken);
    expect(put).toMatchObject({ code: 0, stdout: 'Record "c1" stored: {"name":"Ada","visits":2}\n' });
    const bad = await imexCli(['datastore', 'put', String(storeId), 'c2', '{"visits":"many"}'], withToken);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('name');
    expect(bad.stderr).toContain('expected a number');
    expectNoStack(bad);

    const records = await imexCli(['datastore', 'records', String(storeId)], withToken);
    expect(records.stdout).toMatch(/^c1\s+\{"name":"Ada","visits":2\}$/m);
    const show = await imexCli(['datastore', 'show', String(storeId)], withToken);
    expect(show.stdout).toMatch(/records:\s+1/);
    const deleted = await imexCli(['datastore', 'delete-records', String(storeId), '--all'], withToken);
    expect(deleted).toMatchObject({ code: 0, stdout: '1 record(s) deleted\n' });
  });
});
