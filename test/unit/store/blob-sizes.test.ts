/**
 * What an IE's `size` counts (blobs its bundles reference) and how payloads are kept under their
 * bound (large bundles by reference), without servers: the blob store is a fake that hashes.
 */
import crypto from 'node:crypto';
import { BSON } from 'mongodb';
import { blobIdsIn, blobRefsIn, blobStoredBytes, storedSize, type BlobRef, type BlobStore } from '../../../src/store';
import {
  boundContext,
  INLINE_CONTEXT_MAX_BYTES,
  INLINE_PAYLOAD_MAX_BYTES,
  toBundleOrRefs,
} from '../../../activities/bundle-refs';

const fakeBlobs = () => {
  const puts: unknown[] = [];
  const blobs = {
    put: async (value: unknown): Promise<BlobRef> => {
      puts.push(value);
      const text = JSON.stringify(value);
      return { $imexBlob: crypto.createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
    },
  } as unknown as BlobStore;
  return { blobs, puts };
};

const ref = (n: number, bytes: number): BlobRef => ({ $imexBlob: String(n).repeat(64).slice(0, 64), bytes });
const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('storedSize', () => {
  test('is the BSON of blueprint and bundles when nothing is referenced', () => {
    const context = JSON.stringify({ '1': { a: 'x'.repeat(100) } });
    expect(storedSize('{}', context)).toBe(BSON.calculateObjectSize({ blueprint: '{}', context }));
  });

  test('counts every byte of each blob the bundles reference', () => {
    const context = JSON.stringify({ '1': ref(1, 100_000), '2': { small: true } });
    const inline = BSON.calculateObjectSize({ blueprint: '{}', context });
    expect(storedSize('{}', context)).toBe(inline + blobStoredBytes(100_000));
    expect(storedSize('{}', context)).toBeGreaterThanOrEqual(100_000);
  });

  test('charges a blob referenced twice in one IE once, and finds references nested in bundles', () => {
    const context = JSON.stringify({ '1': ref(1, 5000), '2': ref(1, 5000), '3': { inner: [ref(2, 7000)] } });
    const inline = BSON.calculateObjectSize({ blueprint: 'b', context });
    expect(storedSize('b', context)).toBe(inline + blobStoredBytes(5000) + blobStoredBytes(7000));
  });

  test('a blob is charged with its chunks and manifest', () => {
    expect(blobStoredBytes(10)).toBeGreaterThan(10);
    expect(blobStoredBytes(3 * 1024 * 1024) - blobStoredBytes(1024 * 1024)).toBeGreaterThan(2 * 1024 * 1024);
  });
});

describe('finding references', () => {
  test('in plain and in escaped JSON (a context inside a document)', () => {
    const id = 'a'.repeat(64);
    const text = JSON.stringify({ context: JSON.stringify({ '1': { bytes: 3, $imexBlob: id } }) });
    expect([...blobIdsIn(text)]).toEqual([id]);
    expect([...blobRefsIn(JSON.stringify({ '1': { $imexBlob: id, bytes: 3 } }))]).toEqual([[id, 3]]);
    expect(blobRefsIn('{"1":{"a":1}}').size).toBe(0);
  });
});

describe('payload bounds', () => {
  test('a module output that would take its context past the bound goes by reference', async () => {
    const { blobs } = fakeBlobs();
    const context = Object.fromEntries([1, 2, 3, 4].map((id) => [String(id), { data: 'c'.repeat(60_000) }]));
    const [out] = await toBundleOrRefs(blobs, [{ data: 'o'.repeat(60_000) }], context);
    expect(out).toHaveProperty('$imexBlob');
    const [small] = await toBundleOrRefs(blobs, [{ data: 'o'.repeat(60_000) }], { '1': { x: 1 } });
    expect(small).not.toHaveProperty('$imexBlob');
  });

  test('a stored context of many inline bundles is brought under the bound, largest first', async () => {
    const { blobs, puts } = fakeBlobs();
    const context = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [String(i + 1), { data: String(i).padEnd(50_000 + i, 'z') }]),
    );
    expect(bytesOf(context)).toBeGreaterThan(INLINE_PAYLOAD_MAX_BYTES * 2);
    const bounded = await boundContext(blobs, context);
    expect(bytesOf(bounded)).toBeLessThanOrEqual(INLINE_CONTEXT_MAX_BYTES);
    expect(Object.keys(bounded)).toEqual(Object.keys(context));
    expect(puts[0]).toEqual(context['30']); // the largest went first
    const small = { '1': { a: 1 } };
    expect(await boundContext(blobs, small)).toEqual(small);
  });
});
