/** The bundles and the environment the IML tests evaluate against (fixed clock, seed and variables). */
import { createHash, createHmac } from 'node:crypto';
import { createImlEnvironment, type DigestAlgorithm, type ImlEnvironment } from '../../../src/domain';

export const NOW = '2026-01-15T10:30:45.123Z';

export function digest(algorithm: DigestAlgorithm, data: Uint8Array, key?: Uint8Array): Uint8Array {
  const hash = key ? createHmac(algorithm, key) : createHash(algorithm);
  return new Uint8Array(hash.update(data).digest());
}

export function testEnvironment(
  overrides: { timezone?: string; seed?: string; withDigest?: boolean } = {},
): ImlEnvironment {
  return createImlEnvironment({
    now: Date.parse(NOW),
    seed: overrides.seed ?? 'test-seed',
    timezone: overrides.timezone ?? 'UTC',
    variables: {
      scenario: { id: 7, name: 'S', executionId: 'exec-1' },
      execution: { id: 'exec-1' },
      organization: { id: 3 },
    },
    ...(overrides.withDigest === false ? {} : { digest }),
  });
}

export const context = {
  '1': {
    name: 'Ada',
    email: '  ADA@Example.COM ',
    price: 2.5,
    qty: 4,
    n: 3,
    dow: 2,
    seconds: 7384,
    zero: 0,
    bool: true,
    empty: '',
    nothing: null,
    date: '2016-12-28T16:03:06.000Z',
    content: '<b>Hello</b> world',
    subject: 'URGENTE: pay',
    json: 'say "hi"',
    '3': 'a b c',
    'Meeting Bot Name': '',
    speakers: ['Ann', 'Bob'],
    numbers: [3, 1, 2],
    words: ['b', 'A', 'a', 'B'],
    matrix: [[1, [2]], [3]],
    a5: [1, 2, 3, 4, 5],
    b5: [3, 4, 5, 6, 7],
    people: [
      { name: 'Bob', age: 22 },
      { name: 'Tim', age: 23 },
    ],
    dups: [
      { id: 1, label: 'x' },
      { id: 2, label: 'x' },
      { id: 3, label: 'y' },
    ],
    items: [
      { id: 1, name: 'a', label: 'work', tags: ['x'] },
      { id: 2, name: 'b', label: 'home' },
      { id: 3, name: 'c', label: 'other' },
    ],
    nested: { a: { b: 'deep' } },
    user: { name: 'U', password: 'p', email: 'e' },
  },
  '2': { value: '2016-12-28T16:13:06.000Z' },
  '4': { urls: ['u1', 'u2'], url: 'u0', __IMTLENGTH__: 2, createdate: '2024-02-27T09:00:00.000Z' },
  '5': { body: { PageCount: 7 } },
  '7': { value: [{ dataHoraCotacao: '2024-03-05T10:00:00.000Z' }, { dataHoraCotacao: '2024-03-06T10:00:00.000Z' }] },
  '40': { data: { items: [{ mediaLink: 'm1' }, { mediaLink: 'm2' }] } },
};
