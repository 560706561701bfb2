/**
 * `/data-structures`, `/data-stores` and their records end to end: real HTTP against a real Fastify
 * server and the real store. Writes are checked against the structure (400 naming each field),
 * the store's size (409 when full); other organizations' stores are not found; a write sent twice
 * leaves one record.
 */
import { createStore, ensureIndexes, type Store } from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { noIncompleteExecutionRequests, startApi, type RunningApi } from './support/api';

let env: TestEnv;
let store: Store;
let api: RunningApi;
const tokens = {} as Record<'a' | 'aRead' | 'b', string>;

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  api = await startApi(store, {
    ...noIncompleteExecutionRequests,
    startScenarioRun: () => Promise.reject(new Error('no runs here')),
  });
  const orgA = (await store.organizations.create({ name: 'Acme' }))._id;
  const orgB = (await store.organizations.create({ name: 'Other' }))._id;
  const all = ['datastores:read', 'datastores:write', 'udts:read', 'udts:write'] as const;
  tokens.a = (await store.apiTokens.create({ orgId: orgA, scopes: [...all] })).token;
  tokens.aRead = (await store.apiTokens.create({ orgId: orgA, scopes: ['datastores:read'] })).token;
  tokens.b = (await store.apiTokens.create({ orgId: orgB, scopes: [...all] })).token;
});

afterAll(async () => {
  await api?.close();
  await env?.close();
});

const call = (method: string, path: string, body?: unknown, token: string = tokens.a) =>
  api.call(method, path, { token, ...(body === undefined ? {} : { body }) });

async function structureAndStore(maxSizeMB = 1) {
  const structure = await call('POST', '/data-structures', {
    name: 'customer',
    strict: true,
    spec: [
      { name: 'name', type: 'text', required: true },
      { name: 'visits', type: 'number' },
    ],
  });
  expect(structure.status).toBe(200);
  const created = await call('POST', '/data-stores', {
    name: 'Customers',
    teamId: 1,
    datastructureId: structure.body.dataStructure.id,
    maxSizeMB,
  });
  expect(created.status).toBe(200);
  return created.body.dataStore as { id: number; datastructureId: number };
}

test("create, list and read data stores in Make's shapes", async () => {
  const dataStore = await structureAndStore();
  expect(dataStore).toMatchObject({ name: 'Customers', records: 0, size: '0', maxSize: String(1024 * 1024) });
  const list = await call('GET', '/data-stores');
  expect(list.body.dataStores.map((s: { id: number }) => s.id)).toContain(dataStore.id);
  expect((await call('GET', `/data-stores/${dataStore.id}`, undefined, tokens.aRead)).status).toBe(200);
  // Another organization's store is not found; a missing scope is 403.
  expect((await call('GET', `/data-stores/${dataStore.id}`, undefined, tokens.b)).status).toBe(404);
  expect((await call('POST', '/data-stores', { name: 'x', maxSizeMB: 1 }, tokens.aRead)).status).toBe(403);
  const bad = await call('POST', '/data-stores', { name: '', maxSizeMB: 0, datastructureId: 999_999 });
  expect(bad.status).toBe(400);
  expect(bad.body.detail.map((d: { path: string }) => d.path).sort()).toEqual(['maxSizeMB', 'name']);
  const unknownStructure = await call('POST', '/data-stores', { name: 'x', maxSizeMB: 1, datastructureId: 999_999 });
  expect(unknownStructure.status).toBe(400);
  expect(unknownStructure.body.detail).toEqual([
    { path: 'datastructureId', in: 'body', message: 'data structure 999999 not found' },
  ]);
});

test('records: checked against the structure, added once, replaced, updated, listed, deleted', async () => {
  const { id } = await structureAndStore();
  const invalid = await call('POST', `/data-stores/${id}/data`, { key: 'c1', data: { visits: 'many', extra: 1 } });
  expect(invalid.status).toBe(400);
  expect(invalid.body.detail).toEqual([
    { path: 'data.name', in: 'body', message: 'required' },
    { path: 'data.visits', in: 'body', message: 'expected a number, got text "many"' },
    { path: 'data.extra', in: 'body', message: 'not a field of the data structure (strict)' },
  ]);

  const added = await call('POST', `/data-stores/${id}/data`, { key: 'c1', data: { name: 'Ada', visits: '2' } });
  expect(added.body).toEqual({ key: 'c1', data: { name: 'Ada', visits: 2 } });
  // The same request again is answered the same; other data under the key is a conflict.
  expect((await call('POST', `/data-stores/${id}/data`, { key: 'c1', data: { name: 'Ada', visits: 2 } })).status).toBe(
    200,
  );
  expect((await call('POST', `/data-stores/${id}/data`, { key: 'c1', data: { name: 'Bob' } })).status).toBe(409);

  const replaced = await call('PUT', `/data-stores/${id}/data/c2`, { name: 'Cy' });
  expect(replaced.body).toEqual({ key: 'c2', data: { name: 'Cy' } });
  const badPut = await call('PUT', `/data-stores/${id}/data/c2`, { visits: 1 });
  expect(badPut.body.detail).toEqual([{ path: 'name', in: 'body', message: 'required' }]);
  const updated = await call('PATCH', `/data-stores/${id}/data/c2`, { visits: 5 });
  expect(updated.body).toEqual({ key: 'c2', data: { name: 'Cy', visits: 5 } });
  expect((await call('PATCH', `/data-stores/${id}/data/none`, { visits: 5 })).status).toBe(404);

  const list = await call('GET', `/data-stores/${id}/data?pg[limit]=10`);
  expect(list.body.records).toEqual([
    { key: 'c1', data: { name: 'Ada', visits: 2 } },
    { key: 'c2', data: { name: 'Cy', visits: 5 } },
  ]);
  expect(list.body.spec.map((f: { name: string }) => f.name)).toEqual(['name', 'visits']);
  expect((await call('GET', `/data-stores/${id}`)).body.dataStore.records).toBe(2);

  expect((await call('DELETE', `/data-stores/${id}/data`, { keys: ['c1'] })).status).toBe(406);
  expect((await call('DELETE', `/data-stores/${id}/data?confirmed=true`, { keys: ['c1'] })).body).toEqual({
    deleted: 1,
  });
  expect((await call('DELETE', `/data-stores/${id}/data?confirmed=true`, { all: true })).body).toEqual({ deleted: 1 });
  expect((await call('GET', `/data-stores/${id}/data`)).body.records).toEqual([]);
  // The structure is in use: it cannot go before the store.
  const { datastructureId } = (await call('GET', `/data-stores/${id}`)).body.dataStore;
  expect((await call('DELETE', `/data-structures/${datastructureId}?confirmed=true`)).status).toBe(409);
  expect((await call('DELETE', `/data-stores/${id}?confirmed=true`)).body).toEqual({ dataStore: id });
  expect((await call('DELETE', `/data-structures/${datastructureId}?confirmed=true`)).status).toBe(200);
});

test('a full data store refuses a write with 409 and keeps what it has', async () => {
  const { id } = await structureAndStore(1);
  const big = 'x'.repeat(700 * 1024);
  expect((await call('PUT', `/data-stores/${id}/data/one`, { name: big })).status).toBe(200);
  const full = await call('PUT', `/data-stores/${id}/data/two`, { name: big });
  expect(full.status).toBe(409);
  expect(full.body.message).toContain('is full');
  expect((await call('GET', `/data-stores/${id}/data`)).body.records.map((r: { key: string }) => r.key)).toEqual([
    'one',
  ]);
});
