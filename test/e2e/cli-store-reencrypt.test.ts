/**
 * `imex store reencrypt` as a real process against the real store: after a rotation it seals what
 * the old key (or no key) left, so the old key can go; without keys it says what to set.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Keyring } from '../../src/crypto/keyring';
import { createStore, ensureIndexes, storedSize } from '../../src/store';
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

const cli = (keys: string | undefined) =>
  runImexCli(['store', 'reencrypt', '--json'], {
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
  // Stored before keys were on: a record and an IE.
  const plain = createStore(env.db);
  await plain.dataStores.putRecord(dataStore.id, 'plain', { n: 1 });
  const ie = await plain.incompleteExecutions.insert(
    plain.incompleteExecutions.build({
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
  expect(String(raw?.blueprint)).toMatch(/^enc:v1:k-new:/);
  // The IE's size counts its sealed bytes now.
  const rawIe = await env.db.collection('incomplete_executions').findOne({ _id: ie._id as never });
  expect(String(rawIe?.context)).toMatch(/^enc:v1:k-new:/);
  expect(rawIe?.size).toBe(storedSize(String(rawIe?.blueprint), String(rawIe?.context)));
  expect(rawIe?.size).toBeGreaterThan(ie.size);
  const newOnly = createStore(env.db, undefined, { keyring: new Keyring([newKey]) });
  expect((await newOnly.incompleteExecutions.get(ie._id))?.context).toBe(
    JSON.stringify({ '1': { email: 'ada@example.test' } }),
  );
  expect((await newOnly.scenarios.get(org._id, scenario.id))?.name).toBe('s');
  expect(await newOnly.dataStores.readAll(dataStore.id)).toEqual([{ key: 'plain', data: { n: 1 } }]);
});

test('without keys it says what to set, without a stack', async () => {
  const result = await cli(undefined);
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/no encryption keys: set IMEX_ENCRYPTION_KEYS or IMEX_ENCRYPTION_KEY_FILE/);
  expect(result.stderr).not.toMatch(/^\s+at /m);
});
