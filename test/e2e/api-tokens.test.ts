/** API tokens in the real store: hashed at rest, one organization each, revocable. */
import { createStore, ensureIndexes, hashApiToken, type Store } from '../../src/store';
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
