import crypto from 'node:crypto';
import { DecryptionFailedError, open, seal } from '../../../src/crypto/aes-gcm';
import {
  EncryptionKeyFormatError,
  generateKeyEntry,
  Keyring,
  parseKeyring,
  UnknownEncryptionKeyError,
} from '../../../src/crypto/keyring';

const key = () => crypto.randomBytes(32).toString('base64');

describe('parseKeyring', () => {
  test('reads entries separated by commas or lines, with comments; the first is active', () => {
    const a = key();
    const b = key();
    const c = key();
    const keyring = parseKeyring(`# keys\nk3:${c}  # newest\n\nk2:${b}, k1:${a}\n`);
    expect(keyring.ids).toEqual(['k3', 'k2', 'k1']);
    expect(keyring.active.id).toBe('k3');
    expect(keyring.get('k1').key).toEqual(Buffer.from(a, 'base64'));
  });

  test.each([
    ['', /no encryption key/],
    ['k1', /entry 1 is not "<id>:<base64 key>"/],
    [`:${key()}`, /entry 1 is not/],
    ['k1:not base64!', /key "k1" is not base64/],
    [`k1:${crypto.randomBytes(16).toString('base64')}`, /key "k1" must be 32 bytes, got 16/],
    [`k 1:${key()}`, /key id "k 1" must match/],
    [`k1:${key()},k1:${key()}`, /key id "k1" is given twice/],
  ])('refuses %j', (text, message) => {
    expect(() => parseKeyring(text)).toThrow(EncryptionKeyFormatError);
    expect(() => parseKeyring(text)).toThrow(message);
  });

  test('never quotes key material in its errors', () => {
    const short = crypto.randomBytes(16).toString('base64');
    expect(() => parseKeyring(`k1:${short}`)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(short) }),
    );
  });

  test('generates entries it can read back', () => {
    const keyring = parseKeyring(generateKeyEntry('local-'));
    expect(keyring.active.id).toMatch(/^local-\d{8}-[0-9a-f]{6}$/);
    expect(keyring.active.key).toHaveLength(32);
  });
});

describe('seal and open (AES-256-GCM)', () => {
  const old = { id: 'old', key: crypto.randomBytes(32) };
  const current = { id: 'current', key: crypto.randomBytes(32) };
  const plaintext = Buffer.from('{"email":"a@example.com"}');

  test('round trip with the active key, a fresh nonce each time', () => {
    const keyring = new Keyring([current, old]);
    const first = seal(keyring, plaintext);
    const second = seal(keyring, plaintext);
    expect(first.keyId).toBe('current');
    expect(first.data.equals(second.data)).toBe(false);
    expect(first.data.includes(plaintext)).toBe(false);
    expect(open(keyring, first)).toEqual(plaintext);
  });

  test('rotation: data sealed with an old key still opens once a new key is active', () => {
    const sealed = seal(new Keyring([old]), plaintext);
    const rotated = new Keyring([current, old]);
    expect(open(rotated, sealed)).toEqual(plaintext);
    expect(seal(rotated, plaintext).keyId).toBe('current');
  });

  test('an unknown key id is an error naming it', () => {
    const sealed = seal(new Keyring([old]), plaintext);
    const error = (() => {
      try {
        open(new Keyring([current]), sealed);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(UnknownEncryptionKeyError);
    expect(error).toMatchObject({
      keyId: 'old',
      message: expect.stringContaining('key "old", which is not configured'),
    });
  });

  test.each([
    ['a flipped ciphertext bit', (d: Buffer) => (d[14] = (d[14] as number) ^ 1)],
    ['a flipped tag bit', (d: Buffer) => (d[d.length - 1] = (d[d.length - 1] as number) ^ 1)],
    ['a flipped nonce bit', (d: Buffer) => (d[0] = (d[0] as number) ^ 1)],
  ])('tampering is detected: %s', (_name, tamper) => {
    const keyring = new Keyring([current]);
    const sealed = seal(keyring, plaintext);
    tamper(sealed.data);
    expect(() => open(keyring, sealed)).toThrow(DecryptionFailedError);
  });

  test('truncated data and data relabelled with another key id are refused', () => {
    const keyring = new Keyring([current, { id: 'twin', key: current.key }]);
    const sealed = seal(keyring, plaintext);
    expect(() => open(keyring, { ...sealed, data: sealed.data.subarray(0, 20) })).toThrow(DecryptionFailedError);
    // Same key material, other id: the id is authenticated data.
    expect(() => open(keyring, { ...sealed, keyId: 'twin' })).toThrow(/key "twin" does not authenticate/);
  });
});
