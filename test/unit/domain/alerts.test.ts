import {
  alertWindowOf,
  buildAlertDigest,
  MAX_IES_PER_DIGEST_GROUP,
  quotaAlertOf,
  withDigestLinks,
  digestAsText,
  type AlertEvent,
} from '../../../src/domain/alerts';

const WINDOW_MS = 60_000;
const window = alertWindowOf(new Date('2026-12-02T10:00:30Z'), WINDOW_MS);
const at = (s: number) => new Date(window + s * 1000);
const park = (ieId: string, s: number, scenarioId = 1, errorType = 'ConnectionError'): AlertEvent => ({
  key: `park:${ieId}`,
  orgId: 7,
  kind: 'park',
  at: at(s),
  scenarioId,
  ieId,
  errorType,
  message: `${errorType} at module 2`,
});

test('windows are aligned to the epoch and named by their start', () => {
  expect(new Date(window).toISOString()).toBe('2026-12-02T10:00:00.000Z');
  expect(alertWindowOf(new Date('2026-12-02T10:00:59.999Z'), WINDOW_MS)).toBe(window);
  expect(alertWindowOf(new Date('2026-12-02T10:01:00Z'), WINDOW_MS)).toBe(window + WINDOW_MS);
});

test('groups a window per kind, scenario and error type, counting every alert, oldest first', () => {
  const digest = buildAlertDigest({
    orgId: 7,
    window,
    windowMs: WINDOW_MS,
    events: [park('b', 20), park('a', 10), park('c', 30, 2), park('d', 40, 1, 'DataError')],
    resolvedIeIds: new Set(),
  });
  expect(digest).toMatchObject({ id: `7:${window}`, suppressed: 0, windowEnd: '2026-12-02T10:01:00.000Z' });
  expect(digest?.groups).toEqual([
    expect.objectContaining({ kind: 'park', scenarioId: 1, errorType: 'ConnectionError', count: 2, ieIds: ['a', 'b'] }),
    expect.objectContaining({ kind: 'park', scenarioId: 2, count: 1, ieIds: ['c'] }),
    expect.objectContaining({ kind: 'park', scenarioId: 1, errorType: 'DataError', count: 1, ieIds: ['d'] }),
  ]);
});

test('leaves out parks resolved within the window, and a park reported as unresolved too', () => {
  const unresolved: AlertEvent = { ...park('b', 50), key: 'unresolved:b:8', kind: 'unresolved', message: 'unresolved' };
  const digest = buildAlertDigest({
    orgId: 7,
    window,
    windowMs: WINDOW_MS,
    events: [park('a', 1), park('b', 2), unresolved],
    resolvedIeIds: new Set(['a']),
  });
  expect(digest?.suppressed).toBe(1);
  expect(digest?.groups.map((g) => [g.kind, g.ieIds])).toEqual([['unresolved', ['b']]]);
  // Nothing left: no digest at all.
  expect(
    buildAlertDigest({ orgId: 7, window, windowMs: WINDOW_MS, events: [park('a', 1)], resolvedIeIds: new Set(['a']) }),
  ).toBeUndefined();
});

test('lists a bounded number of IEs per group, with the exact count', () => {
  const events = Array.from({ length: MAX_IES_PER_DIGEST_GROUP + 25 }, (_, i) => park(`ie${i}`, i % 60));
  const [group] =
    buildAlertDigest({ orgId: 7, window, windowMs: WINDOW_MS, events, resolvedIeIds: new Set() })?.groups ?? [];
  expect(group?.count).toBe(MAX_IES_PER_DIGEST_GROUP + 25);
  expect(group?.ieIds).toHaveLength(MAX_IES_PER_DIGEST_GROUP);
});

test('the quota alerts: 80 % and full', () => {
  expect(quotaAlertOf(79, 100)).toBeUndefined();
  expect(quotaAlertOf(80, 100)).toBe('quota_80');
  expect(quotaAlertOf(100, 100)).toBe('quota_full');
  expect(quotaAlertOf(5, 0)).toBeUndefined();
});

test('links each IE to the API and the web page when the public URL is known', () => {
  const digest = buildAlertDigest({
    orgId: 7,
    window,
    windowMs: WINDOW_MS,
    events: [park('a', 1)],
    resolvedIeIds: new Set(),
  });
  if (!digest) throw new Error('expected a digest');
  expect(withDigestLinks(digest)).toBe(digest);
  expect(withDigestLinks(digest, 'https://imex.example.com/').groups[0]).toMatchObject({
    links: [
      {
        ieId: 'a',
        api: 'https://imex.example.com/api/v2/dlqs/a',
        page: 'https://imex.example.com/ui#scenario=1&dlq=a',
      },
    ],
  });
});

test('a digest as a text e-mail: one paragraph per group, its links, and what was left out', () => {
  const events = [park('a', 1), park('b', 2), { ...park('c', 3), key: 'unresolved:c:0', kind: 'unresolved' as const }];
  const digest = buildAlertDigest({ orgId: 7, window, windowMs: WINDOW_MS, events, resolvedIeIds: new Set(['b']) });
  if (!digest) throw new Error('expected a digest');
  const { subject, text } = digestAsText(digest, 'https://imex.example.com');
  expect(subject).toBe('imex: 2 alerts from 2026-12-02 10:00 UTC');
  expect(text).toContain('1 parked (auto-retry scheduled) (scenario 1, ConnectionError)');
  expect(text).toContain('1 waiting for a person (scenario 1, ConnectionError)');
  expect(text).toContain('  https://imex.example.com/ui#scenario=1&dlq=a');
  expect(text).toContain('1 parked and resolved by auto-retry within the window (not listed).');
});
