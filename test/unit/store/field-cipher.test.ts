/** Sealing stored text fields (pure): round trips, plaintext read as it is, blob references kept visible, clear errors. */
import crypto from 'node:crypto';
import { Keyring } from '../../../src/crypto/keyring';
import {
  blobIdsIn,
  blobRefsIn,
  FieldCipher,
  sealedParts,
  StoredDataUnreadableError,
  storedSize,
} from '../../../src/store';

const key = (id: string) => ({ id, key: crypto.randomBytes(32) });
const a = key('a');
const b = key('b');
const blobId = 'f'.repeat(64);
const otherBlobId = 'e'.repeat(64);
const context = JSON.stringify({
  '1': [{ secret: 'pin 1234', big: { $imexBlob: blobId, bytes: 70_000 } }],
  '2': [{ nested: JSON.stringify({ $imexBlob: otherBlobId, bytes: 5 }) }],
});

test('seals with the active key and opens to the same text; no plaintext is left', async () => {
  const cipher = new FieldCipher(new Keyring([a]));
  const sealed = await cipher.seal(context);
  expect(sealed.startsWith('enc:v1:a:')).toBe(true);
  expect(sealed).not.toContain('pin 1234');
  expect(await cipher.open(sealed)).toBe(context);
  expect(await cipher.seal(context)).not.toBe(sealed); // a fresh nonce each time
});

test('blob references stay visible, so collection and sizes keep working', async () => {
  const sealed = await new FieldCipher(new Keyring([a])).seal(context);
  expect(blobRefsIn(sealed)).toEqual(
    new Map([
      [blobId, 70_000],
      [otherBlobId, 0],
    ]),
  );
  expect(blobIdsIn(sealed)).toEqual(new Set([blobId, otherBlobId]));
  // The size counts the stored (sealed) text and the blob it references.
  expect(storedSize('{}', sealed)).toBeGreaterThan(storedSize('{}', context));
  expect(blobRefsIn(await new FieldCipher(new Keyring([a])).seal('{"x":1}')).size).toBe(0);
});

test('without a keyring nothing is sealed, plaintext passes through, and sealed text is refused by key id', async () => {
  const plain = new FieldCipher();
  expect(await plain.seal(context)).toBe(context);
  expect(await plain.open(context)).toBe(context);
  const sealed = await new FieldCipher(new Keyring([a])).seal('{"x":1}');
  await expect(plain.open(sealed)).rejects.toThrow(StoredDataUnreadableError);
  await expect(plain.open(sealed)).rejects.toThrow(
    'stored data encrypted with key "a" cannot be read: no encryption keys',
  );
});

test('rotation: old keys open, the active one seals; isStale says what re-encryption rewrites', async () => {
  const before = new FieldCipher(new Keyring([a]));
  const rotated = new FieldCipher(new Keyring([b, a]));
  const old = await before.seal('{"x":1}');
  expect(await rotated.open(old)).toBe('{"x":1}');
  expect(rotated.isStale(old)).toBe(true);
  expect(rotated.isStale(await rotated.seal('{"x":1}'))).toBe(false);
  expect(rotated.isStale('{"x":1}')).toBe(true);
  expect(new FieldCipher().isStale(old)).toBe(false);
});

test('a missing key, other key bytes or an altered field are errors naming the key id', async () => {
  const sealed = await new FieldCipher(new Keyring([a])).seal('{"x":1}');
  await expect(new FieldCipher(new Keyring([b])).open(sealed)).rejects.toThrow(
    /key "a" cannot be read: .*not configured/,
  );
  await expect(new FieldCipher(new Keyring([key('a')])).open(sealed)).rejects.toThrow(
    /key "a" cannot be read: .*does not authenticate/,
  );
  const altered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await expect(new FieldCipher(new Keyring([a])).open(altered)).rejects.toThrow(StoredDataUnreadableError);
});

test('the v2 header names the organization and its data key; a damaged header is an error, never plaintext', async () => {
  expect(sealedParts('enc:v2:7:0a1b2c3d:QUJD refs:[]')).toEqual({
    version: 2,
    orgId: 7,
    dataKeyId: '0a1b2c3d',
    body: 'QUJD',
  });
  expect(sealedParts('enc:v1:k1:QUJD')).toEqual({ version: 1, keyId: 'k1', body: 'QUJD' });
  expect(sealedParts('{"enc:v2":1}')).toBeUndefined();
  await expect(new FieldCipher(new Keyring([a])).open('enc:v2:x:y:QUJD')).rejects.toThrow(/header is damaged/);
  // A v2 field needs the organization keys: a store opened without them says so.
  await expect(new FieldCipher(new Keyring([a])).open('enc:v2:7:0a1b2c3d:QUJD')).rejects.toThrow(
    /organization 7 encrypted with key "0a1b2c3d" cannot be read: this store was opened without organization keys/,
  );
});
