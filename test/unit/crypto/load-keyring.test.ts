import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../src/config';
import { LOCAL_KEY_FILE, loadKeyring } from '../../../src/crypto/load-keyring';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imex-keys-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const entry = (id: string) => `${id}:${crypto.randomBytes(32).toString('base64')}`;

test('reads IMEX_ENCRYPTION_KEYS, the first key active', () => {
  const { keyring, source } = loadKeyring({ IMEX_ENCRYPTION_KEYS: `${entry('b')},${entry('a')}` }, dir);
  expect(keyring.ids).toEqual(['b', 'a']);
  expect(source).toBe('IMEX_ENCRYPTION_KEYS');
  expect(fs.existsSync(path.join(dir, LOCAL_KEY_FILE))).toBe(false);
});

test('reads IMEX_ENCRYPTION_KEY_FILE', () => {
  const file = path.join(dir, 'keys');
  fs.writeFileSync(file, `# rotated 2026-12\n${entry('k2')}\n${entry('k1')}\n`);
  expect(loadKeyring({ IMEX_ENCRYPTION_KEY_FILE: file }, dir).keyring.ids).toEqual(['k2', 'k1']);
});

test('without configured keys, generates one key under the data dir (0600) and keeps it', () => {
  const first = loadKeyring({}, dir);
  const file = path.join(dir, LOCAL_KEY_FILE);
  expect(first.source).toBe(file);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const second = loadKeyring({}, dir);
  expect(second.keyring.active.id).toBe(first.keyring.active.id);
  expect(second.keyring.active.key.equals(first.keyring.active.key)).toBe(true);
});

test('bad keys are a ConfigError naming the variable, the file and the key id', () => {
  expect(() => loadKeyring({ IMEX_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' }, dir)).toThrow(ConfigError);
  expect(() => loadKeyring({ IMEX_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' }, dir)).toThrow(
    /IMEX_ENCRYPTION_KEYS: key "k1" must be 32 bytes/,
  );
  const file = path.join(dir, 'keys');
  fs.writeFileSync(file, 'nonsense\n');
  expect(() => loadKeyring({ IMEX_ENCRYPTION_KEY_FILE: file }, dir)).toThrow(
    new RegExp(`IMEX_ENCRYPTION_KEY_FILE: ${file}: entry 1 is not`),
  );
  expect(() => loadKeyring({ IMEX_ENCRYPTION_KEY_FILE: path.join(dir, 'missing') }, dir)).toThrow(
    /IMEX_ENCRYPTION_KEY_FILE: cannot read/,
  );
});

test('a worker running alone never generates a key of its own: it names what to set', () => {
  expect(() => loadKeyring({}, dir, { generate: false })).toThrow(
    /IMEX_ENCRYPTION_KEYS: a worker running alone needs the keys the other imex processes use/,
  );
  expect(fs.existsSync(path.join(dir, LOCAL_KEY_FILE))).toBe(false);
  // The key file of an `npm start` in the same data folder is shared.
  const shared = loadKeyring({}, dir);
  expect(loadKeyring({}, dir, { generate: false }).keyring.active.id).toBe(shared.keyring.active.id);
});
