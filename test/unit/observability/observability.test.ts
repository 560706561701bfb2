/** The pure parts of metrics, readiness and tracing: label bounds, deadlines, trace-context parsing. */
import { actorKind, createOperatorEvents } from '../../../src/observability/operator-events';
import { imexMetrics } from '../../../src/observability/metrics';
import { checkReadiness } from '../../../src/observability/readiness';
import { otlpTracesUrl } from '../../../src/observability/tracing';
import { spanContextOf } from '../../../workflows/interceptors/trace-context';

test('the OTLP traces URL: a base URL gets /v1/traces, a full one is kept, none means off', () => {
  expect(otlpTracesUrl({})).toBeUndefined();
  expect(otlpTracesUrl({ IMEX_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('http://collector:4318/v1/traces');
  expect(otlpTracesUrl({ IMEX_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
  expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/v1/traces' })).toBe('http://c:4318/v1/traces');
  // imex's own variable wins over the standard one.
  expect(
    otlpTracesUrl({ IMEX_OTLP_ENDPOINT: 'http://imex:4318', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://std:4318' }),
  ).toBe('http://imex:4318/v1/traces');
});

test('a traceparent becomes a remote span context; anything else is ignored', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  expect(spanContextOf(`00-${traceId}-00f067aa0ba902b7-01`)).toEqual({
    traceId,
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
    isRemote: true,
  });
  expect(spanContextOf(undefined)).toBeUndefined();
  expect(spanContextOf(42)).toBeUndefined();
  expect(spanContextOf('00-xyz')).toBeUndefined();
  // All-zero ids are invalid by the W3C spec.
  expect(spanContextOf(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBeUndefined();
});

test('readiness names each failing dependency, and a check that hangs fails at its deadline', async () => {
  const started = Date.now();
  const report = await checkReadiness(
    [
      { name: 'store', check: async () => undefined },
      { name: 'temporal', check: () => new Promise<void>(() => undefined) },
      { name: 'worker', check: async () => Promise.reject(new Error('the worker is stopped, not polling')) },
    ],
    100,
  );
  expect(Date.now() - started).toBeLessThan(2_000);
  expect(report).toEqual({
    ready: false,
    checks: {
      store: { ok: true },
      temporal: { ok: false, error: 'no answer within 100 ms' },
      worker: { ok: false, error: 'the worker is stopped, not polling' },
    },
  });
  expect((await checkReadiness([{ name: 'store', check: async () => undefined }])).ready).toBe(true);
});

test('operator events count with bounded labels: actors by kind, never their names or ids', async () => {
  const events = createOperatorEvents();
  const ie = { orgId: 1, scenarioId: 2, ieId: 'a'.repeat(32), executionId: 'b'.repeat(32) };
  events.parked(ie, { errorType: 'ConnectionError', outcome: 'stored', failer: 2 });
  events.requestApplied(ie, { kind: 'delete', actor: { type: 'token', tokenId: 't1', name: 'ops' } });
  events.requestApplied(ie, { kind: 'retry', actor: { type: 'temporal', via: 'signal', name: 'temporal signal' } });
  const text = await imexMetrics().registry.metrics();
  expect(text).toContain('imex_ie_parks_total{error_type="ConnectionError",outcome="stored"} 1');
  expect(text).toContain('imex_ie_requests_total{kind="delete",actor="token"} 1');
  expect(text).toContain('imex_ie_requests_total{kind="retry",actor="temporal_signal"} 1');
  expect(text).not.toMatch(/[0-9a-f]{32}/);
  expect(text).not.toContain('"ops"');
  expect(actorKind({ type: 'temporal', via: 'update', name: 'x' })).toBe('temporal_update');
});
