/**
 * `imex store reencrypt` and `imex store rewrap` as real processes against the real store: after a
 * master key rotation, reencrypt moves what no key or the old master key sealed (before
 * organization keys) to the organization's data key, rewrap wraps that data key with the new
 * master key, and the old key can go; without keys they say what to set.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '../../src/crypto/keyring';
import { createStore, ensureIndexes, FieldCipher, storedSize } from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { runImexCli } from './support/cli';

let env: TestEnv;
let dir: string;
const oldKey = { id: 'k-old', key: crypto.randomBytes(32) };
const newKey = { id: 'k-new', key: crypto.randomBytes(32) };
const entry = (k: { id: string; key: Buffer }) => `${k.id}:${k.key.toString('base64')}`;

beforeAll(async () => {
  env = await openTestEnv();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imex-reencrypt-'));
});
afterAll(async () => {
  await env?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const cli = (keys: string | undefined, command = 'reencrypt') =>
  runImexCli(['store', command, '--json'], {
    MONGO_URL: process.env.IMEX_TEST_MONGO_URL,
    IMEX_MONGO_DB: env.db.databaseName,
    IMEX_DATA_DIR: dir,
    IMEX_ENCRYPTION_KEYS: keys,
  });

test('reseals every field under the active key; the old key can go afterwards', async () => {
  const sealedWithOld = createStore(env.db, undefined, { keyring: new Keyring([oldKey]) });
  await ensureIndexes(sealedWithOld);
  const org = await sealedWithOld.organizations.create({ name: 'acme' });
  const scenario = await sealedWithOld.scenarios.create({
    orgId: org._id,
    name: 's',
    blueprint: { name: 's', flow: [], metadata: { scenario: {} } } as never,
  });
  const dataStore = await sealedWithOld.dataStores.createDataStore({
    orgId: org._id,
    name: 'd',
    datastructureId: null,
    maxSizeBytes: 1024 * 1024,
  });
  // Sealed with the master key before organization keys existed (v1).
  const legacy = await new FieldCipher(new Keyring([oldKey])).sealJson(scenario.blueprint);
  await env.db.collection('scenarios').updateOne({ _id: scenario.id as never }, { $set: { blueprint: legacy } });
  // Stored before keys were on: a record and an IE.
  const plain = createStore(env.db);
  await plain.dataStores.putRecord(dataStore.id, 'plain', { n: 1 });
  const ie = await plain.incompleteExecutions.insert(
    await plain.incompleteExecutions.build({
      ieId: 'a'.repeat(32),
      orgId: org._id,
      scenarioId: scenario.id,
      scenarioName: 's',
      executionId: 'b'.repeat(32),
      failer: 2,
      bundleIndex: 0,
      blueprint: { name: 's', flow: [], metadata: { scenario: {} } } as never,
      context: { '1': { email: 'ada@example.test' } },
      error: { type: 'DataError', message: 'x', moduleId: 2 },
      retry: false,
    }),
  );

  const result = await cli(`${entry(newKey)},${entry(oldKey)}`);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const report = JSON.parse(result.stdout) as { activeKeyId: string; fields: Record<string, { resealed: number }> };
  expect(report.activeKeyId).toBe('k-new');
  expect(report.fields['scenarios.blueprint']?.resealed).toBe(1);
  expect(report.fields['data_store_records.data']?.resealed).toBe(1);

  const raw = await env.db.collection('scenarios').findOne({ _id: scenario.id as never });
  expect(String(raw?.blueprint)).toMatch(new RegExp(`^enc:v2:${org._id}:`));
  // The IE's size counts its sealed bytes now.
  const rawIe = await env.db.collection('incomplete_executions').findOne({ _id: ie._id as never });
  expect(String(rawIe?.context)).toMatch(new RegExp(`^enc:v2:${org._id}:`));
  expect(rawIe?.size).toBe(storedSize(String(rawIe?.blueprint), String(rawIe?.context)));
  expect(rawIe?.size).toBeGreaterThan(ie.size);

  // The organization's data key is still wrapped by the old master key: rewrap moves it to the new one.
  const orgKeysBefore = await env.db.collection('org_keys').findOne({ _id: org._id as never });
  expect(String(orgKeysBefore?.keys[0].wrapped)).toMatch(/^enc:v1:k-old:/);
  const rewrap = await cli(`${entry(newKey)},${entry(oldKey)}`, 'rewrap');
  expect(rewrap).toMatchObject({ code: 0, stderr: '' });
  expect(JSON.parse(rewrap.stdout)).toMatchObject({ activeKeyId: 'k-new', organizations: 1, rewrapped: 1 });
  const orgKeysAfter = await env.db.collection('org_keys').findOne({ _id: org._id as never });
  expect(String(orgKeysAfter?.keys[0].wrapped)).toMatch(/^enc:v1:k-new:/);
  expect(orgKeysAfter?.keys[0].id).toBe(orgKeysBefore?.keys[0].id);

  const newOnly = createStore(env.db, undefined, { keyring: new Keyring([newKey]) });
  expect((await newOnly.incompleteExecutions.get(ie._id))?.context).toBe(
    JSON.stringify({ '1': { email: 'ada@example.test' } }),
  );
  expect((await newOnly.scenarios.get(org._id, scenario.id))?.name).toBe('s');
  expect(await newOnly.dataStores.readAll(dataStore.id)).toEqual([{ key: 'plain', data: { n: 1 } }]);
});

test('without keys it says what to set, without a stack', async () => {
  for (const command of ['reencrypt', 'rewrap']) {
    const result = await cli(undefined, command);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no encryption keys: set IMEX_ENCRYPTION_KEYS or IMEX_ENCRYPTION_KEY_FILE/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  }
});
