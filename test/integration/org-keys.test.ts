/**
 * Per-organization data keys (envelope encryption, src/store/org-keys.ts) on the real store
 * (FerretDB here): two organizations' data is sealed with two data keys, one per organization
 * even when many processes create it at once; a field copied into another organization does not
 * open; a lost master key or a corrupted wrapped key is an error naming the organization and the
 * key, never empty data.
 */
import crypto from 'node:crypto';
import { Keyring } from '../../src/crypto/keyring';
import {
  createStore,
  ensureIndexes,
  rewrapOrgKeys,
  sealedParts,
  StoredDataUnreadableError,
  type OrgKeysDocument,
  type Store,
} from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

const master = { id: 'm1', key: crypto.randomBytes(32) };
const blueprint = (marker: string) => ({ name: marker, flow: [], metadata: { scenario: { note: marker } } }) as never;

let env: TestEnv;
let store: Store;

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db, undefined, { keyring: new Keyring([master]) });
  await ensureIndexes(store);
});
afterAll(() => env?.close());

const storedBlueprint = async (id: number) =>
  (await env.db.collection('scenarios').findOne({ _id: id as never }))?.blueprint as string;

test('two organizations: each sealed with its own data key, read back by their owners', async () => {
  const a = await store.organizations.create({ name: 'a' });
  const b = await store.organizations.create({ name: 'b' });
  const sa = await store.scenarios.create({ orgId: a._id, name: 'sa', blueprint: blueprint('alpha-secret') });
  const sb = await store.scenarios.create({ orgId: b._id, name: 'sb', blueprint: blueprint('beta-secret') });
  const pa = sealedParts(await storedBlueprint(sa.id));
  const pb = sealedParts(await storedBlueprint(sb.id));
  expect(pa).toMatchObject({ version: 2, orgId: a._id });
  expect(pb).toMatchObject({ version: 2, orgId: b._id });
  expect(pa?.version === 2 && pb?.version === 2 && pa.dataKeyId !== pb.dataKeyId).toBe(true);

  const keys = await env.db.collection<OrgKeysDocument>('org_keys').find({}).sort({ _id: 1 }).toArray();
  expect(keys.map((k) => [k._id, k.keys.length, k.keys[0]?.wrapped.startsWith('enc:v1:m1:')])).toEqual([
    [a._id, 1, true],
    [b._id, 1, true],
  ]);
  // A fresh process (no cache) reads both.
  const fresh = createStore(env.db, undefined, { keyring: new Keyring([master]) });
  expect((await fresh.scenarios.get(a._id, sa.id))?.blueprint.name).toBe('alpha-secret');
  expect((await fresh.scenarios.get(b._id, sb.id))?.blueprint.name).toBe('beta-secret');

  // A's sealed blueprint pasted into B's document does not open (the organization is authenticated).
  const moved = (await storedBlueprint(sa.id)).replace(
    `enc:v2:${a._id}:${pa?.version === 2 ? pa.dataKeyId : ''}`,
    `enc:v2:${b._id}:${pb?.version === 2 ? pb.dataKeyId : ''}`,
  );
  await env.db.collection('scenarios').updateOne({ _id: sb.id as never }, { $set: { blueprint: moved } });
  await expect(fresh.scenarios.get(b._id, sb.id)).rejects.toThrow(
    new RegExp(`organization ${b._id} encrypted with key "[0-9a-f]{8}" cannot be read: it does not authenticate`),
  );
});

test('many processes creating the first key of an organization at once end with one key, which every field uses', async () => {
  const org = await store.organizations.create({ name: 'race' });
  const processes = Array.from({ length: 8 }, () => createStore(env.db, undefined, { keyring: new Keyring([master]) }));
  const created = await Promise.all(
    processes.map((p, i) => p.scenarios.create({ orgId: org._id, name: `r${i}`, blueprint: blueprint(`r${i}`) })),
  );
  const doc = await env.db.collection<OrgKeysDocument>('org_keys').findOne({ _id: org._id });
  expect(doc?.keys).toHaveLength(1);
  const dataKeyIds = new Set(
    await Promise.all(
      created.map(async (s) => (sealedParts(await storedBlueprint(s.id)) as { dataKeyId: string }).dataKeyId),
    ),
  );
  expect(dataKeyIds).toEqual(new Set([doc?.keys[0]?.id]));
  for (const [i, s] of created.entries())
    expect((await processes[(i + 1) % processes.length]!.scenarios.get(org._id, s.id))?.blueprint.name).toBe(`r${i}`);
});

test('a lost master key, a lost or corrupted data key: errors naming the organization and the key, nothing read as empty', async () => {
  const org = await store.organizations.create({ name: 'lost' });
  const s = await store.scenarios.create({ orgId: org._id, name: 's', blueprint: blueprint('lost-secret') });
  const dataKeyId = (sealedParts(await storedBlueprint(s.id)) as { dataKeyId: string }).dataKeyId;

  const otherMaster = createStore(env.db, undefined, {
    keyring: new Keyring([{ id: 'm2', key: crypto.randomBytes(32) }]),
  });
  const lost = otherMaster.scenarios.get(org._id, s.id);
  await expect(lost).rejects.toThrow(StoredDataUnreadableError);
  await expect(otherMaster.scenarios.get(org._id, s.id)).rejects.toThrow(
    `stored data of organization ${org._id} encrypted with key "m1" cannot be read: the data key "${dataKeyId}" of organization ${org._id} cannot be used: its master key is missing: data was encrypted with key "m1", which is not configured (configured: m2)`,
  );
  // Rewrap without the master key changes nothing and says which key it needs.
  const before = await env.db.collection('org_keys').find({}).sort({ _id: 1 }).toArray();
  await expect(rewrapOrgKeys(env.db, new Keyring([{ id: 'm2', key: crypto.randomBytes(32) }]))).rejects.toThrow(
    /the data key "[0-9a-f]{8}" of organization \d+ cannot be used: its master key is missing: .*"m1"/,
  );
  expect(await env.db.collection('org_keys').find({}).sort({ _id: 1 }).toArray()).toEqual(before);

  // A corrupted wrapped key.
  const keys = env.db.collection<OrgKeysDocument>('org_keys');
  const doc = (await keys.findOne({ _id: org._id }))!;
  const wrapped = doc.keys[0]!.wrapped;
  const corrupted = wrapped.slice(0, -6) + (wrapped.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
  await keys.updateOne({ _id: org._id }, { $set: { 'keys.0.wrapped': corrupted } });
  const fresh = () => createStore(env.db, undefined, { keyring: new Keyring([master]) });
  await expect(fresh().scenarios.get(org._id, s.id)).rejects.toThrow(
    `the data key "${dataKeyId}" of organization ${org._id} cannot be used: its wrapped form does not open`,
  );
  // A deleted data key (shredded).
  await keys.deleteOne({ _id: org._id });
  await expect(fresh().scenarios.get(org._id, s.id)).rejects.toThrow(
    `the data key "${dataKeyId}" of organization ${org._id} cannot be used: it is not in the org_keys collection`,
  );
  expect(await storedBlueprint(s.id)).toMatch(/^enc:v2:/); // the document stays as it was
});
