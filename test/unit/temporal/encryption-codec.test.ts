import crypto from 'node:crypto';
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import {
  decodeFromPayloadsAtIndex,
  decodeOptionalFailureToOptionalError,
  encodeErrorToFailure,
  encodeToPayloads,
  loadDataConverter,
} from '@temporalio/common/lib/internal-non-workflow';
import { DecryptionFailedError } from '../../../src/crypto/aes-gcm';
import { Keyring, UnknownEncryptionKeyError } from '../../../src/crypto/keyring';
import { imexDataConverter } from '../../../src/temporal/data-converter';
import {
  CIPHER_METADATA,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  MalformedEncryptedPayloadError,
} from '../../../src/temporal/encryption-codec';

const old = { id: 'k1', key: crypto.randomBytes(32) };
const current = { id: 'k2', key: crypto.randomBytes(32) };
const MARKER = 'marker-4f1c9e-customer@example.com';
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

function plain(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value) as Payload;
}

test('round trip: the whole payload is sealed, its key id and cipher in the metadata', async () => {
  const codec = new EncryptionCodec(new Keyring([current, old]));
  const payloads = [plain({ email: MARKER }), plain(undefined), plain(42)];
  const encoded = await codec.encode(payloads);
  expect(encoded).toHaveLength(3);
  for (const payload of encoded) {
    expect(text(payload.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(payload.metadata?.[KEY_ID_METADATA])).toBe('k2');
    expect(text(payload.metadata?.[CIPHER_METADATA])).toBe('AES-256-GCM');
    expect(Buffer.from(payload.data ?? []).includes(MARKER)).toBe(false);
    // The original encoding (json/plain) is hidden too.
    expect(Buffer.from(payload.data ?? []).includes('json/plain')).toBe(false);
  }
  const decoded = await codec.decode(encoded);
  expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([{ email: MARKER }, undefined, 42]);
});

test('rotation: payloads encrypted with an old key still decode once a new key is active', async () => {
  const encoded = await new EncryptionCodec(new Keyring([old])).encode([plain(MARKER)]);
  const rotated = new EncryptionCodec(new Keyring([current, old]));
  expect(defaultPayloadConverter.fromPayload((await rotated.decode(encoded))[0] as Payload)).toBe(MARKER);
  expect(text((await rotated.encode([plain(1)]))[0]?.metadata?.[KEY_ID_METADATA])).toBe('k2');
});

test('an unknown key id is a clear error naming it', async () => {
  const encoded = await new EncryptionCodec(new Keyring([old])).encode([plain(MARKER)]);
  const decoding = new EncryptionCodec(new Keyring([current])).decode(encoded);
  await expect(decoding).rejects.toThrow(UnknownEncryptionKeyError);
  await expect(new EncryptionCodec(new Keyring([current])).decode(encoded)).rejects.toThrow(
    'data was encrypted with key "k1", which is not configured (configured: k2)',
  );
});

test('tampering is detected', async () => {
  const codec = new EncryptionCodec(new Keyring([current]));
  const [encoded] = await codec.encode([plain(MARKER)]);
  const data = Buffer.from(encoded?.data ?? []);
  data[20] = (data[20] as number) ^ 0x01;
  await expect(codec.decode([{ ...encoded, data }])).rejects.toThrow(DecryptionFailedError);
});

test('an encrypted payload without a key id, or with another cipher, is refused', async () => {
  const codec = new EncryptionCodec(new Keyring([current]));
  const [encoded] = (await codec.encode([plain(1)])) as [Payload];
  const { [KEY_ID_METADATA]: _keyId, ...withoutKeyId } = encoded.metadata ?? {};
  await expect(codec.decode([{ ...encoded, metadata: withoutKeyId }])).rejects.toThrow(MalformedEncryptedPayloadError);
  const otherCipher = { ...encoded.metadata, [CIPHER_METADATA]: Buffer.from('XOR') };
  await expect(codec.decode([{ ...encoded, metadata: otherCipher }])).rejects.toThrow(/cipher "XOR"/);
});

test('payloads that are not encrypted pass through unchanged (histories from before encryption)', async () => {
  const codec = new EncryptionCodec(new Keyring([current]));
  const payloads = [plain({ email: MARKER }), plain(null), { metadata: { encoding: Buffer.from('binary/null') } }];
  expect(await codec.decode(payloads)).toEqual(payloads);
});

describe("imex's data converter", () => {
  const converter = loadDataConverter(imexDataConverter(new Keyring([current])));

  test('encrypts values end to end and reads them back', async () => {
    const payloads = (await encodeToPayloads(converter, { email: MARKER })) as Payload[];
    expect(JSON.stringify(payloads)).not.toContain(MARKER);
    expect(Buffer.concat(payloads.map((p) => Buffer.from(p.data ?? []))).includes(MARKER)).toBe(false);
    expect(await decodeFromPayloadsAtIndex(converter, 0, payloads)).toEqual({ email: MARKER });
  });

  test('keeps failure messages and stack traces inside the encrypted payload', async () => {
    const error = ApplicationFailure.create({ type: 'DataError', message: `[400] Bad Request: ${MARKER}` });
    const failure = await encodeErrorToFailure(converter, error);
    expect(failure.message).toBe('Encoded failure');
    expect(failure.stackTrace).toBe('');
    expect(Buffer.from(JSON.stringify(failure)).includes(MARKER)).toBe(false);
    expect(text(failure.encodedAttributes?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    const back = await decodeOptionalFailureToOptionalError(converter, failure);
    expect(back).toMatchObject({ message: `[400] Bad Request: ${MARKER}`, type: 'DataError' });
  });

  test('without a keyring, payloads stay plain', async () => {
    const plainConverter = loadDataConverter(imexDataConverter(undefined));
    const payloads = (await encodeToPayloads(plainConverter, MARKER)) as Payload[];
    expect(text(payloads[0]?.data)).toContain(MARKER);
  });
});
