import { auditValue, blueprintDiff, bundlesDiff, deletionDiff } from '../../../activities/ie-change-diff';
import { bundlesToMerge } from '../../../activities/incomplete-executions';
import { patchRequestSchema, type Blueprint } from '../../../src/domain';

const ref = { $imexBlob: 'a'.repeat(64), bytes: 3_000_000 };
const blueprint = (flow: unknown[]) => ({ name: 'b', flow, metadata: {} }) as unknown as Blueprint;

describe('the change log diff', () => {
  test('keeps small values, summarises large ones and references, never a reference itself', () => {
    expect(auditValue({ n: 1 })).toEqual({ n: 1 });
    expect(auditValue(undefined)).toBeNull();
    expect(auditValue(ref)).toEqual({ summary: true, sha256: ref.$imexBlob, bytes: ref.bytes });
    const large = auditValue({ big: 'x'.repeat(5000) });
    expect(large).toEqual({ summary: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: 5010 });
    // A reference nested in a small value is summarised too.
    expect(JSON.stringify(auditValue({ inner: ref }))).not.toContain('$imexBlob');
  });

  test('bundles: per module id, only those that changed; a reference compares by content hash', () => {
    expect(bundlesDiff({ '1': { n: 1 }, '2': { a: 1 } }, { '1': { n: 1 }, '2': { a: 2 }, '3': { b: 1 } })).toEqual({
      '2': { before: { a: 1 }, after: { a: 2 } },
      '3': { before: null, after: { b: 1 } },
    });
    expect(bundlesDiff({ '1': ref }, { '1': { ...ref } })).toBeUndefined();
    expect(bundlesDiff({ '1': { n: 1 } }, {})).toEqual({ '1': { before: { n: 1 }, after: null } });
  });

  test('blueprint: summaries and the module ids added, removed and changed', () => {
    const before = blueprint([
      { id: 1, module: 'a' },
      { id: 2, module: 'b', mapper: { x: 1 } },
      { id: 3, module: 'c' },
    ]);
    const after = blueprint([
      { id: 1, module: 'a' },
      { id: 2, module: 'b', mapper: { x: 2 } },
      { id: 4, module: 'd' },
    ]);
    expect(blueprintDiff(before, after)).toEqual({
      before: { summary: true, sha256: expect.any(String), bytes: expect.any(Number) },
      after: { summary: true, sha256: expect.any(String), bytes: expect.any(Number) },
      modules: { added: [4], removed: [3], changed: [2] },
    });
    expect(blueprintDiff(before, before)).toBeUndefined();
  });

  test('a deletion lists what it removed', () => {
    const diff = deletionDiff({
      blueprint: JSON.stringify(blueprint([{ id: 1 }])),
      context: JSON.stringify({ '1': ref }),
      status: 'pending',
      deleted: false,
    });
    expect(diff).toEqual({
      bundles: { '1': { before: { summary: true, sha256: ref.$imexBlob, bytes: ref.bytes }, after: null } },
      blueprint: expect.objectContaining({ after: null, modules: { added: [], removed: [1], changed: [] } }),
      status: { before: 'pending', after: 'deleted' },
    });
  });
});

describe('what a PATCH may carry', () => {
  const before = [{ id: 1 }, { id: 2 }];
  test('merges only modules before the failer; the failer’s error entry is left alone', () => {
    expect(bundlesToMerge({ '2': { value: { a: 1 } }, '3': { error: { type: 'DataError' } } }, 3, before)).toEqual({
      ok: true,
      values: { '2': { a: 1 } },
    });
  });

  test('the error entry of the stored failer comes back when the failer moves', () => {
    const earlier = [{ id: 1 }, { id: 2 }, { id: 3 }];
    expect(bundlesToMerge({ '3': { error: { type: 'DataError' } } }, 4, earlier, 3)).toEqual({ ok: true, values: {} });
    expect(bundlesToMerge({ '3': {} }, 4, earlier, 3)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^bundles\.3\.value/),
    });
  });

  test.each([
    [{ '4': { value: { a: 1 } } }, 'bundles.4: module 4 is not before the failer 3'],
    [{ '2': {} }, 'bundles.2.value: required'],
    [{ '2': { value: 'text' } }, 'bundles.2.value: must be a JSON object'],
    [{ '2': { value: null } }, 'bundles.2.value: must be a JSON object'],
    [{ '2': { value: JSON.parse('{"a":{"__proto__":{"x":1}}}') as unknown } }, 'bundles.2.value.a.__proto__'],
    [{ '2': { value: { $imexBlob: 'f'.repeat(64), bytes: 1, extra: { $where: 1 } } } }, 'bundles.2.value'],
  ])('refuses %j naming the path', (bundles, reason) => {
    const result = bundlesToMerge(bundles as never, 3, before);
    expect(result).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });

  test('the workflow refuses a non-object value sent through Temporal, naming the path', () => {
    for (const value of ['text', 5, null, [1]]) {
      const parsed = patchRequestSchema.safeParse({ bundles: { '2': { value } } });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['bundles', '2', 'value']);
    }
    expect(patchRequestSchema.safeParse({ bundles: { '2': { value: { a: 1 } } }, reason: 'why' }).success).toBe(true);
    expect(patchRequestSchema.safeParse({ actor: { type: 'token', tokenId: 't', name: 'n', extra: 1 } }).success).toBe(
      false,
    );
  });
});
