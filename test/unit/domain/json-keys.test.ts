import { findForbiddenJsonKeys, formatPath, JSON_MAX_DEPTH } from '../../../src/domain';

const paths = (value: unknown, policy: 'imex' | 'thirdParty') =>
  findForbiddenJsonKeys(value, policy).map((found) => formatPath(found.path));

describe('findForbiddenJsonKeys', () => {
  test("imex's inputs: prototype keys and every $ key are refused, with their paths", () => {
    // JSON.parse keeps `__proto__` as an own key: exactly what a request body holds.
    const value = JSON.parse(
      '{"1":{"value":{"__proto__":{"x":1},"ok":[{"constructor":1},{"$where":"1"}]}},"prototype":2,"$gt":0}',
    ) as unknown;
    expect(paths(value, 'imex').sort()).toEqual([
      '$gt',
      '1.value.__proto__',
      '1.value.ok[0].constructor',
      '1.value.ok[1].$where',
      'prototype',
    ]);
    expect(findForbiddenJsonKeys({ a: [1, 'x', { b: { c: null } }] }, 'imex')).toEqual([]);
  });

  test("third parties' payloads keep $schema, $id and a constructor field; refuse poisoning and blob references", () => {
    const fine = { $schema: 'https://json-schema.org/draft/2020-12/schema', $id: 'x', car: { constructor: 'Ferrari' } };
    expect(paths(fine, 'thirdParty')).toEqual([]);
    const hostile = JSON.parse(
      '{"a":{"__proto__":{"admin":true}},"b":{"constructor":{"prototype":{"x":1}}},"c":[{"$imexBlob":"abc","bytes":1}]}',
    ) as unknown;
    expect(paths(hostile, 'thirdParty')).toEqual(['a.__proto__', 'b.constructor', 'c[0].$imexBlob']);
  });

  test('refuses nesting past the bound without recursing (no stack overflow at any depth)', () => {
    const depth = 100_000;
    const deep = JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;
    const [found] = findForbiddenJsonKeys(deep, 'thirdParty');
    expect(found?.message).toBe(`is nested deeper than ${JSON_MAX_DEPTH} levels`);
    expect(found?.path).toHaveLength(JSON_MAX_DEPTH);
    expect(findForbiddenJsonKeys(JSON.parse('['.repeat(50) + ']'.repeat(50)), 'imex')).toEqual([]);
  });

  test('reports at most `limit` keys and walks a large value in linear time', () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`$k${i}`, i]));
    expect(findForbiddenJsonKeys(many, 'imex', 5)).toHaveLength(5);
    const large = { items: Array.from({ length: 200_000 }, (_, i) => ({ id: i, tags: ['a', 'b'], nested: { v: i } })) };
    const started = Date.now();
    expect(findForbiddenJsonKeys(large, 'imex')).toEqual([]);
    process.stdout.write(`json key walk of 200k objects: ${Date.now() - started} ms\n`);
  });
});
