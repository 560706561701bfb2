/**
 * User data encrypted at rest in MongoDB (FerretDB here), end to end: a run whose input, blueprint
 * and data-store record carry a marker parks an IE (its bundles partly in a blob), a webhook
 * payload waits in the queue; every raw document of every collection, read with the plain driver,
 * lacks the marker, while the API answers it in plaintext and the worker retries the IE from the
 * sealed documents. A missing or wrong key is a clear error naming the key id, the documents stay
 * as they were; rotation reads old keys, writes with the new one, `reencryptStoredData` leaves
 * nothing sealed with the old key and `rewrapOrgKeys` wraps the organization's data key with the
 * new one (changing org_keys only), after which the old key can go. The organization's fields are
 * sealed with its data key (enc:v2), the others (blobs, a run's staged writes) with the master key.
 */
import { ieWorkflowId } from '../../src/domain';
import crypto from 'node:crypto';
import { BSON } from 'mongodb';
import { Keyring } from '../../src/crypto/keyring';
import {
  createStore,
  reencryptStoredData,
  rewrapOrgKeys,
  SEALED_FIELDS,
  StoredDataUnreadableError,
  type Store,
} from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { waitForIeDocument } from '../helpers/ie-waits';
import { webhookTrigger } from '../helpers/blueprints';
import { noIncompleteExecutionRequests, startApi, type RunningApi } from '../e2e/support/api';

const MARKER = `marker-${crypto.randomBytes(6).toString('hex')}`;
const key = (id: string) => ({ id, key: crypto.randomBytes(32) });
const oldKey = key('k-old');
const newKey = key('k-new');

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let token: string;
let ieId: string;
let dataStoreId: number;
let scenarioId: number;

beforeAll(async () => {
  env = await openTestEnv();
  http = await new ScriptedHttpServer().start();
  imex = await startImexHarness(env, { keyring: new Keyring([oldKey]) });
  api = await startApi(imex.store, {
    ...noIncompleteExecutionRequests,
    startScenarioRun: () => Promise.reject(new Error('no runs through this API')),
  });
  token = (
    await imex.store.apiTokens.create({ orgId: imex.orgId, scopes: ['dlqs:read', 'datastores:read', 'scenarios:read'] })
  ).token;
});

afterAll(async () => {
  await api?.close();
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

/** Every document of every collection of the test's database, as extended JSON text. */
async function rawDatabaseText(): Promise<string> {
  const texts: string[] = [];
  for (const { name } of await env.db.listCollections({}, { nameOnly: true }).toArray()) {
    for (const doc of await env.db.collection(name).find({}).toArray())
      texts.push(`${name} ${BSON.EJSON.stringify(doc)}`);
  }
  return texts.join('\n');
}

/**
 * The keys the sealed user-data fields of the database name: a master key id (v1), `org<id>` for
 * an organization's data key (v2), `plain` for plaintext; `org: true` fields only, or the others.
 */
async function sealedKeyIds(which?: { org: boolean }): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const { collection, field, org } of SEALED_FIELDS) {
    if (which && which.org !== (org !== undefined)) continue;
    for (const doc of await env.db.collection(collection).find({}).toArray()) {
      const value = (doc as Record<string, unknown>)[field];
      if (typeof value !== 'string') continue;
      const v2 = /^enc:v2:(\d+):/.exec(value)?.[1];
      ids.add(v2 ? `org${v2}` : (/^enc:v1:([^:]+):/.exec(value)?.[1] ?? 'plain'));
    }
  }
  return ids;
}

test('a parked run, its blob, its data-store record and a queued payload are stored without a byte of plaintext', async () => {
  dataStoreId = (
    await imex.store.dataStores.createDataStore({
      orgId: imex.orgId,
      name: 'customers',
      datastructureId: null,
      maxSizeBytes: 1024 * 1024,
    })
  ).id;
  http.script('/refuses', { status: 400, body: { error: 'bad request' } });
  scenarioId = await imex.createScenario({
    name: 'sealed',
    flow: [
      webhookTrigger,
      {
        id: 2,
        module: 'datastore:AddRecord',
        version: 1,
        parameters: { datastore: dataStoreId },
        mapper: { key: 'customer-1', data: { note: '{{1.secret}}' } },
      },
      http.httpModule(3, '/refuses', { headers: [{ name: 'x-api-key', value: `${MARKER}-in-the-blueprint` }] }),
    ],
    metadata: { scenario: { dlq: true } },
  });
  // Over 64 KiB: the run's input goes by reference, into a blob.
  const data = { secret: `${MARKER}-in-the-bundle`, big: `${MARKER}-in-a-blob ${'x'.repeat(70_000)}` };
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data });
  const result = await imex.imex.scenarioRunResult(executionId);
  ieId = result.parked[0]?.ieId as string;
  await waitForIeDocument(imex.store, ieId, 'the IE to wait', (d) => d.status === 'unresolved');
  await imex.store.webhooks.enqueue({
    orgId: imex.orgId,
    scenarioId,
    data: JSON.stringify({ payload: `${MARKER}-in-the-queue` }),
    cap: 10,
  });

  expect(await imex.store.blobs.collection.countDocuments({ kind: 'chunk' })).toBeGreaterThan(0);
  const raw = await rawDatabaseText();
  expect(raw).toContain('enc:v1:k-old:'); // sealed, and not empty
  expect(raw).toContain(`enc:v2:${imex.orgId}:`);
  expect(raw).not.toContain(MARKER);
  // The organization's fields under its data key, the others (blobs, a run's staged writes) under the master key.
  expect(await sealedKeyIds({ org: true })).toEqual(new Set([`org${imex.orgId}`]));
  expect(await sealedKeyIds({ org: false })).toEqual(new Set(['k-old']));
  // The data key itself is stored wrapped by the master key.
  const orgKeys = await env.db.collection('org_keys').find({}).toArray();
  expect(orgKeys).toEqual([
    expect.objectContaining({
      _id: imex.orgId,
      keys: [expect.objectContaining({ wrapped: expect.stringMatching(/^enc:v1:k-old:/) })],
    }),
  ]);

  // The store's readers answer plaintext: the API …
  const bundle = await api.call('GET', `/dlqs/${ieId}/bundle`, { token });
  expect(bundle.status).toBe(200);
  expect(bundle.text).toContain(`${MARKER}-in-the-bundle`);
  expect(bundle.text).toContain(`${MARKER}-in-a-blob`);
  const blueprint = await api.call('GET', `/dlqs/${ieId}/blueprint`, { token });
  expect(blueprint.text).toContain(`${MARKER}-in-the-blueprint`);
  const scenario = await api.call('GET', `/scenarios/${scenarioId}/blueprint`, { token });
  expect(scenario.text).toContain(`${MARKER}-in-the-blueprint`);
  const records = await api.call('GET', `/data-stores/${dataStoreId}/data`, { token });
  expect(records.body.records).toEqual([{ key: 'customer-1', data: { note: `${MARKER}-in-the-bundle` } }]);
  expect((await imex.store.webhooks.readWaiting(scenarioId, 10)).map((e) => e.data)).toEqual([
    JSON.stringify({ payload: `${MARKER}-in-the-queue` }),
  ]);
  const log = (await imex.store.executions.get(imex.orgId, executionId))?.log ?? [];
  expect(JSON.stringify(log)).toContain(`${MARKER}-in-the-bundle`);
});

test('the worker retries the IE from its sealed documents', async () => {
  http.script('/refuses', { status: 200, body: { ok: true } });
  await imex.imex.requestIncompleteExecution(ieId, 'retry');
  const resolved = await waitForIeDocument(imex.store, ieId, 'the IE to resolve', (d) => d.resolved);
  expect(resolved.status).toBe('resolved');
  // Its workflow's last write-through is in before the next test photographs the database.
  await imex.client.workflow.getHandle(ieWorkflowId(ieId)).result();
  expect(http.requestsTo('/refuses').at(-1)?.headers['x-api-key']).toBe(`${MARKER}-in-the-blueprint`);
  expect(await rawDatabaseText()).not.toContain(MARKER);
});

test('a missing or wrong key is an error naming the key id; nothing is read as empty and nothing changes', async () => {
  const before = await rawDatabaseText();
  const keyless = createStore(env.db);
  await expect(keyless.scenarios.get(imex.orgId, scenarioId)).rejects.toThrow(StoredDataUnreadableError);
  await expect(keyless.scenarios.get(imex.orgId, scenarioId)).rejects.toThrow(
    new RegExp(
      `stored data of organization ${imex.orgId} encrypted with key "[0-9a-f]{8}" cannot be read: no encryption keys are configured`,
    ),
  );
  await expect(
    keyless.blobs.get({
      $imexBlob: (await imex.store.blobs.unusedSince(new Date(Date.now() + 3_600_000), 1))[0]!.id,
      bytes: 0,
    }),
  ).rejects.toThrow('stored data encrypted with key "k-old" cannot be read: no encryption keys are configured');
  const otherKeyOnly = createStore(env.db, undefined, { keyring: new Keyring([newKey]) });
  // Without the master key that wraps the organization's data key: named, with the organization and the data key.
  await expect(otherKeyOnly.dataStores.readAll(dataStoreId)).rejects.toThrow(
    new RegExp(
      `organization ${imex.orgId} encrypted with key "k-old" cannot be read: the data key "[0-9a-f]{8}" of organization ${imex.orgId} cannot be used: ` +
        'its master key is missing: .*"k-old", which is not configured \\(configured: k-new\\)',
    ),
  );
  const wrongBytes = createStore(env.db, undefined, { keyring: new Keyring([key('k-old')]) });
  await expect(wrongBytes.executions.listByScenario(imex.orgId, scenarioId)).rejects.toThrow(/does not authenticate/);

  let keylessToken: { token: string; apiToken: { id: string } } | undefined;
  const keylessApi = await startApi(keyless, {
    ...noIncompleteExecutionRequests,
    startScenarioRun: () => Promise.reject(new Error('no runs')),
  });
  try {
    // A process without keys cannot verify the keyed digest of `token`: this one's is a bare sha256
    // (removed again below: the database must end as it was).
    keylessToken = await keyless.apiTokens.create({ orgId: imex.orgId, scopes: ['datastores:read'] });
    const answer = await keylessApi.call('GET', `/data-stores/${dataStoreId}/data`, { token: keylessToken.token });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({
      code: 'IM_STORED_DATA_UNREADABLE',
      message: expect.stringMatching(new RegExp(`organization ${imex.orgId} encrypted with key "[0-9a-f]{8}"`)),
    });
  } finally {
    await keylessApi.close();
    if (keylessToken) await keyless.apiTokens.collection.deleteOne({ id: keylessToken.apiToken.id });
  }
  expect(await rawDatabaseText()).toBe(before);
});

test('rotation: the new key writes, the old one still reads; re-encryption leaves nothing under the old key', async () => {
  // A record written in plaintext before encryption was switched on is picked up too.
  await createStore(env.db).dataStores.putRecord(dataStoreId, 'from-before', { note: `${MARKER}-plaintext` });
  const rotated: Store = createStore(env.db, undefined, { keyring: new Keyring([newKey, oldKey]) });
  expect((await rotated.dataStores.getRecord(dataStoreId, 'customer-1'))?.data).toEqual({
    note: `${MARKER}-in-the-bundle`,
  });
  await rotated.dataStores.putRecord(dataStoreId, 'after-rotation', { note: 'new' });
  expect(await sealedKeyIds({ org: true })).toEqual(new Set([`org${imex.orgId}`, 'plain']));
  expect(await sealedKeyIds({ org: false })).toEqual(new Set(['k-old']));

  // Re-encryption seals the plaintext record with the organization's key and the master-key
  // fields with the new master key; the organization's sealed fields stay as they are …
  const orgFieldsBefore = await env.db.collection('scenarios').find({}).toArray();
  const report = await reencryptStoredData(env.db, rotated.cipher);
  expect(report.activeKeyId).toBe('k-new');
  expect(report.fields['data_store_records.data']).toMatchObject({ resealed: 1, current: 2 });
  expect(report.fields['scenarios.blueprint']).toMatchObject({ resealed: 0 });
  expect(report.fields['blobs.data']?.resealed).toBeGreaterThan(0);
  expect(await env.db.collection('scenarios').find({}).toArray()).toEqual(orgFieldsBefore);
  expect(await sealedKeyIds({ org: true })).toEqual(new Set([`org${imex.orgId}`]));
  expect(await sealedKeyIds({ org: false })).toEqual(new Set(['k-new']));
  // … and their data key is re-wrapped by the new master key, which rewrites org_keys only.
  const otherCollections = async () => {
    const text = await rawDatabaseText();
    return text
      .split('\n')
      .filter((line) => !line.startsWith('org_keys '))
      .join('\n');
  };
  const untouched = await otherCollections();
  const rewrap = await rewrapOrgKeys(env.db, rotated.cipher.keyring!);
  expect(rewrap).toMatchObject({ activeKeyId: 'k-new', organizations: 1, rewrapped: 1, current: 0 });
  expect(await otherCollections()).toBe(untouched);
  expect(await rawDatabaseText()).not.toContain(MARKER);

  // The old key can go now.
  const newOnly = createStore(env.db, undefined, { keyring: new Keyring([newKey]) });
  expect(await newOnly.dataStores.readAll(dataStoreId)).toEqual([
    { key: 'after-rotation', data: { note: 'new' } },
    { key: 'customer-1', data: { note: `${MARKER}-in-the-bundle` } },
    { key: 'from-before', data: { note: `${MARKER}-plaintext` } },
  ]);
  expect(JSON.stringify((await newOnly.scenarios.get(imex.orgId, scenarioId))?.blueprint)).toContain(
    `${MARKER}-in-the-blueprint`,
  );
  // Run again, they find nothing to do.
  const again = await reencryptStoredData(env.db, newOnly.cipher);
  expect(Object.values(again.fields).every((counts) => counts.resealed === 0)).toBe(true);
  expect(await rewrapOrgKeys(env.db, newOnly.cipher.keyring!)).toMatchObject({ rewrapped: 0, current: 1 });
});
