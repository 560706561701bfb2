/** API tokens in the real store: hashed at rest (keyed with the encryption keys), one organization each, revocable. */
import crypto from 'node:crypto';
import { Keyring } from '../../src/crypto/keyring';
import { createStore, ensureIndexes, hashApiToken, keyedApiTokenDigest, type Store } from '../../src/store';
import { openTestEnv, type TestEnv } from '../helpers/test-env';

let env: TestEnv;
let store: Store;

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
});
afterAll(() => env.close());

test('stores only the hash of a token and authenticates by it', async () => {
  const { token, apiToken } = await store.apiTokens.create({
    orgId: 7,
    scopes: ['dlqs:read', 'dlqs:read'],
    name: 'ci',
  });
  expect(token).toMatch(/^imex_[A-Za-z0-9_-]{43}$/);
  expect(apiToken).toEqual({
    id: expect.stringMatching(/^[0-9a-f]{16}$/),
    orgId: 7,
    name: 'ci',
    scopes: ['dlqs:read'],
    createdAt: expect.any(Date),
  });

  const raw = await store.apiTokens.collection.findOne({ id: apiToken.id });
  expect(raw?._id).toBe(hashApiToken(token));
  expect(JSON.stringify(raw)).not.toContain(token.slice(5));

  expect(await store.apiTokens.authenticate(token)).toEqual(apiToken);
  expect(await store.apiTokens.authenticate(`${token}x`)).toBeNull();
  expect(await store.apiTokens.authenticate('not-a-token')).toBeNull();
});

test('lists an organization’s tokens without secrets, and revokes them', async () => {
  const a = await store.apiTokens.create({ orgId: 8, scopes: ['scenarios:read'] });
  const b = await store.apiTokens.create({ orgId: 8, scopes: ['scenarios:write'], name: 'b' });
  await store.apiTokens.create({ orgId: 9, scopes: ['scenarios:read'] });

  expect((await store.apiTokens.list(8)).map((t) => t.id)).toEqual([a.apiToken.id, b.apiToken.id]);
  for (const listed of await store.apiTokens.list(8))
    expect(Object.keys(listed).sort()).toEqual(['createdAt', 'id', 'name', 'orgId', 'scopes']);

  expect(await store.apiTokens.revoke(a.apiToken.id)).toBe('revoked');
  expect(await store.apiTokens.revoke(a.apiToken.id)).toBe('already-revoked');
  expect(await store.apiTokens.revoke('0000000000000000')).toBe('missing');
  expect(await store.apiTokens.authenticate(a.token)).toBeNull();
  expect(await store.apiTokens.authenticate(b.token)).not.toBeNull();
  expect((await store.apiTokens.list(8))[0]?.revokedAt).toBeInstanceOf(Date);
});

test('refuses scopes Make does not have', async () => {
  await expect(store.apiTokens.create({ orgId: 1, scopes: ['admin' as never] })).rejects.toThrow(/unknown scope admin/);
});

describe('with a keyring: keyed digests a store reader cannot test guesses against', () => {
  const k1 = { id: 'k1', key: crypto.randomBytes(32) };
  const k2 = { id: 'k2', key: crypto.randomBytes(32) };
  const keyed = (...keys: { id: string; key: Buffer }[]) =>
    createStore(env.db, undefined, { keyring: new Keyring(keys) });
  const storedIds = async (id: string) =>
    (await store.apiTokens.collection.find({ id }).toArray()).map((doc) => doc._id).sort();

  test('a new token is stored under the active key’s HMAC, never its sha256', async () => {
    const { token, apiToken } = await keyed(k1).apiTokens.create({ orgId: 20, scopes: ['dlqs:read'] });
    const [digest] = await storedIds(apiToken.id);
    expect(digest).toMatch(/^h1:k1:[0-9a-f]{64}$/);
    expect(JSON.stringify(await store.apiTokens.collection.find({}).toArray())).not.toContain(hashApiToken(token));
    expect(await keyed(k1).apiTokens.authenticate(token)).toEqual(apiToken);
    // Without the key (a store reader with the plain driver), the token is not recognised.
    expect(await store.apiTokens.authenticate(token)).toBeNull();
    expect(await keyed(k2).apiTokens.authenticate(token)).toBeNull();
  });

  test('a token stored before (bare sha256) still works and is rehashed on first use', async () => {
    const { token, apiToken } = await store.apiTokens.create({ orgId: 21, scopes: ['dlqs:read'] });
    expect(await storedIds(apiToken.id)).toEqual([hashApiToken(token)]);
    expect(await keyed(k1).apiTokens.authenticate(token)).toEqual(apiToken);
    expect(await storedIds(apiToken.id)).toEqual([expect.stringMatching(/^h1:k1:/)]);
    expect(await keyed(k1).apiTokens.authenticate(token)).toEqual(apiToken);
  });

  test('after a key rotation a token moves to the new active key when used', async () => {
    const { token, apiToken } = await keyed(k1).apiTokens.create({ orgId: 22, scopes: ['dlqs:read'] });
    expect(await keyed(k2, k1).apiTokens.authenticate(token)).toEqual(apiToken);
    expect(await storedIds(apiToken.id)).toEqual([expect.stringMatching(/^h1:k2:/)]);
    expect(await keyed(k2).apiTokens.authenticate(token)).toEqual(apiToken);
  });

  test('a crash between the copy and the removal loses nothing and doubles nothing', async () => {
    const { token, apiToken } = await store.apiTokens.create({ orgId: 23, scopes: ['dlqs:read'], name: 'ci' });
    const legacy = await store.apiTokens.collection.findOne({ id: apiToken.id });
    // The rehash's first step, then the crash: the copy under the keyed digest, the old one still there.
    const copy = {
      ...legacy!,
      _id: keyedApiTokenDigest(token, k1),
    };
    await store.apiTokens.collection.insertOne(copy);
    expect(await storedIds(apiToken.id)).toHaveLength(2);

    const tokens = keyed(k1).apiTokens;
    expect((await tokens.list(23)).map((t) => t.id)).toEqual([apiToken.id]);
    expect(await tokens.authenticate(token)).toEqual(apiToken);
    expect(await storedIds(apiToken.id)).toEqual([copy._id]);
    expect(await tokens.revoke(apiToken.id)).toBe('revoked');
    expect(await tokens.authenticate(token)).toBeNull();
  });

  test('a revocation of a token caught between two digests revokes both', async () => {
    const { token, apiToken } = await store.apiTokens.create({ orgId: 24, scopes: ['dlqs:read'] });
    const legacy = await store.apiTokens.collection.findOne({ id: apiToken.id });
    await store.apiTokens.collection.insertOne({
      ...legacy!,
      _id: keyedApiTokenDigest(token, k1),
    });
    expect(await store.apiTokens.revoke(apiToken.id)).toBe('revoked');
    expect(await keyed(k1).apiTokens.authenticate(token)).toBeNull();
    expect(await store.apiTokens.authenticate(token)).toBeNull();
  });
});
