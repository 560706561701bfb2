/** Sealing stored text fields (pure): round trips, plaintext read as it is, blob references kept visible, clear errors. */
import crypto from 'node:crypto';
import { Keyring } from '../../../src/crypto/keyring';
import { blobIdsIn, blobRefsIn, FieldCipher, StoredDataUnreadableError, storedSize } from '../../../src/store';

const key = (id: string) => ({ id, key: crypto.randomBytes(32) });
const a = key('a');
const b = key('b');
const blobId = 'f'.repeat(64);
const otherBlobId = 'e'.repeat(64);
const context = JSON.stringify({
  '1': [{ secret: 'pin 1234', big: { $imexBlob: blobId, bytes: 70_000 } }],
  '2': [{ nested: JSON.stringify({ $imexBlob: otherBlobId, bytes: 5 }) }],
});

test('seals with the active key and opens to the same text; no plaintext is left', () => {
  const cipher = new FieldCipher(new Keyring([a]));
  const sealed = cipher.seal(context);
  expect(sealed.startsWith('enc:v1:a:')).toBe(true);
  expect(sealed).not.toContain('pin 1234');
  expect(cipher.open(sealed)).toBe(context);
  expect(cipher.seal(context)).not.toBe(sealed); // a fresh nonce each time
});

test('blob references stay visible, so collection and sizes keep working', () => {
  const sealed = new FieldCipher(new Keyring([a])).seal(context);
  expect(blobRefsIn(sealed)).toEqual(
    new Map([
      [blobId, 70_000],
      [otherBlobId, 0],
    ]),
  );
  expect(blobIdsIn(sealed)).toEqual(new Set([blobId, otherBlobId]));
  // The size counts the stored (sealed) text and the blob it references.
  expect(storedSize('{}', sealed)).toBeGreaterThan(storedSize('{}', context));
  expect(blobRefsIn(new FieldCipher(new Keyring([a])).seal('{"x":1}')).size).toBe(0);
});

test('without a keyring nothing is sealed, plaintext passes through, and sealed text is refused by key id', () => {
  const plain = new FieldCipher();
  expect(plain.seal(context)).toBe(context);
  expect(plain.open(context)).toBe(context);
  const sealed = new FieldCipher(new Keyring([a])).seal('{"x":1}');
  expect(() => plain.open(sealed)).toThrow(StoredDataUnreadableError);
  expect(() => plain.open(sealed)).toThrow('stored data encrypted with key "a" cannot be read: no encryption keys');
});

test('rotation: old keys open, the active one seals; isStale says what re-encryption rewrites', () => {
  const before = new FieldCipher(new Keyring([a]));
  const rotated = new FieldCipher(new Keyring([b, a]));
  const old = before.seal('{"x":1}');
  expect(rotated.open(old)).toBe('{"x":1}');
  expect(rotated.isStale(old)).toBe(true);
  expect(rotated.isStale(rotated.seal('{"x":1}'))).toBe(false);
  expect(rotated.isStale('{"x":1}')).toBe(true);
  expect(new FieldCipher().isStale(old)).toBe(false);
});

test('a missing key, other key bytes or an altered field are errors naming the key id', () => {
  const sealed = new FieldCipher(new Keyring([a])).seal('{"x":1}');
  expect(() => new FieldCipher(new Keyring([b])).open(sealed)).toThrow(/key "a" cannot be read: .*not configured/);
  expect(() => new FieldCipher(new Keyring([key('a')])).open(sealed)).toThrow(
    /key "a" cannot be read: .*does not authenticate/,
  );
  const altered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  expect(() => new FieldCipher(new Keyring([a])).open(altered)).toThrow(StoredDataUnreadableError);
});
