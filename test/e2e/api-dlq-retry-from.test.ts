/**
 * Retry from a step, with a preview (issue 21), end to end: IEs parked by a real worker on the
 * real Temporal dev server, their modules calling a real local HTTP server that counts every
 * request; the plan, the blueprint diff, `POST /dlqs/{id}/retry` with `from` and `blueprint`,
 * and `Idempotency-Key`, through the real API.
 */
import { blueprintSchema, type Blueprint } from '../../src/domain';
import { waitFor } from '../../src/stack/wait';
import type { IncompleteExecutionDocument } from '../../src/store';
import { webhookTrigger } from '../helpers/blueprints';
import { writtenThroughByWorkflow } from '../helpers/ie-waits';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { allScopes, startApi, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let token: string;

// Auto-retries an hour away: attempts happen only when a test asks for one.
const SCHEDULE = Array.from({ length: 8 }, () => 3_600_000);

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { schedule: SCHEDULE });
  http = await new ScriptedHttpServer().start();
  api = await startApi(harness.store, harness.imex);
  token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes, name: 'fixer' })).token;
});

afterAll(async () => {
  await http?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
});

/** 1 webhook → 2 GET `<prefix>/a` → 3 POST `<prefix>/b` (the failed module, HTTP 400 until scripted otherwise). */
function blueprintOf(prefix: string) {
  return {
    name: 'retry from',
    flow: [
      webhookTrigger,
      http.httpModule(2, `${prefix}/a`, { method: 'get' }),
      http.httpModule(3, `${prefix}/b`, { method: 'post', data: '{{1.n}}' }),
    ],
    metadata: { scenario: { dlq: true } },
  };
}

/** A scenario whose run parks one IE at module 3 (a DataError waits for a person). */
async function parkedAt3(prefix: string): Promise<{ scenarioId: number; ieId: string }> {
  http.script(`${prefix}/b`, { status: 400, body: { error: 'bad request' } });
  const scenarioId = await harness.createScenario(blueprintOf(prefix), `retry from ${prefix}`);
  const run = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { n: 7 } });
  const result = await harness.imex.scenarioRunResult(run.executionId);
  const ieId = result.parked[0]?.ieId as string;
  await waitForIe(ieId, 'the IE to wait', (d) => d.status === 'unresolved' && writtenThroughByWorkflow(d));
  return { scenarioId, ieId };
}

function waitForIe(ieId: string, what: string, predicate: (doc: IncompleteExecutionDocument) => boolean) {
  return waitFor(
    what,
    async () => {
      const doc = await harness.store.incompleteExecutions.get(ieId);
      return doc && predicate(doc) ? doc : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  api.call(method, path, { token, ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) });

test('the plan: from the failed module by default, from the trigger on request, a start off the path refused', async () => {
  const { ieId } = await parkedAt3('/plan');

  const byDefault = await call('GET', `/dlqs/${ieId}/plan`);
  expect(byDefault.status).toBe(200);
  expect(byDefault.body.plan).toMatchObject({
    blueprint: 'stored',
    failer: 3,
    from: 3,
    startsAt: 3,
    reused: [
      { moduleId: 1, module: 'gateway:CustomWebHook' },
      { moduleId: 2, module: 'http:ActionSendData' },
    ],
    modules: [{ moduleId: 3, runs: 'runs', callsService: true, idempotent: false }],
    callsServiceAgain: [3],
  });
  expect(byDefault.body.plan.warnings).toEqual([expect.objectContaining({ moduleId: 3, kind: 'not-idempotent' })]);

  const fromTrigger = await call('GET', `/dlqs/${ieId}/plan?from=1`);
  expect(fromTrigger.status).toBe(200);
  expect(fromTrigger.body.plan.startsAt).toBe(2);
  expect(fromTrigger.body.plan.reused.map((m: { moduleId: number }) => m.moduleId)).toEqual([1]);
  expect(fromTrigger.body.plan.modules.map((m: { moduleId: number }) => m.moduleId)).toEqual([2, 3]);
  expect(fromTrigger.body.plan.callsServiceAgain).toEqual([2, 3]);

  const off = await call('GET', `/dlqs/${ieId}/plan?from=9`);
  expect(off.status).toBe(400);
  expect(off.body.detail).toEqual([{ path: 'from', in: 'query', message: 'module 9 is not on the path to module 3' }]);
  const badChoice = await call('GET', `/dlqs/${ieId}/plan?blueprint=newest`);
  expect(badChoice.status).toBe(400);
  expect(badChoice.body.detail[0].path).toBe('blueprint');
});

test('a retry from the trigger runs the plan: every module after the trigger once, then the IE is resolved; a repeat with the same Idempotency-Key is answered, not run', async () => {
  const { ieId } = await parkedAt3('/trig');
  http.script('/trig/b', { status: 200, body: { ok: true } });
  const before = { a: http.count('/trig/a'), b: http.count('/trig/b') };

  const key = { 'idempotency-key': 'fix-trig-1' };
  const retried = await call('POST', `/dlqs/${ieId}/retry`, { from: 1, reason: 'the service is back' }, key);
  expect(retried.status).toBe(200);
  expect(retried.body.dlq).toBe(ieId);
  expect(retried.body.plan.modules.map((m: { moduleId: number }) => m.moduleId)).toEqual([2, 3]);
  await waitForIe(ieId, 'the IE to be resolved', (d) => d.resolved);
  // Nothing ran twice within the attempt: module 2 once, module 3 once.
  expect(http.count('/trig/a') - before.a).toBe(1);
  expect(http.count('/trig/b') - before.b).toBe(1);
  // The attempt ran module 2 anew: under the attempt's own idempotency key, not the first run's.
  const [firstA, againA] = http.requestsTo('/trig/a').slice(-2);
  expect(againA?.headers['idempotency-key']).not.toBe(firstA?.headers['idempotency-key']);

  // The same request again, after the IE's workflow has ended: the first verdict, no second attempt.
  const again = await call('POST', `/dlqs/${ieId}/retry`, { from: 1, reason: 'the service is back' }, key);
  expect(again.status).toBe(200);
  expect(again.body.dlq).toBe(ieId);
  // A new request (no key, or another one) is refused: the IE is resolved.
  expect((await call('POST', `/dlqs/${ieId}/retry`)).status).toBe(409);
  expect((await call('POST', `/dlqs/${ieId}/resolve`, undefined, { 'idempotency-key': 'other' })).status).toBe(409);
  // Nothing left to plan: said as such, not as an IE that does not exist.
  const plan = await call('GET', `/dlqs/${ieId}/plan`);
  expect(plan.status).toBe(409);
  expect(plan.body.message).toMatch(/is resolved: there is nothing left to retry/);
  expect(http.count('/trig/a') - before.a).toBe(1);
  expect(http.count('/trig/b') - before.b).toBe(1);

  const changes = await call('GET', `/dlqs/${ieId}/changes`);
  const retries = changes.body.dlqChanges.filter((c: { kind: string }) => c.kind === 'retry');
  expect(retries).toHaveLength(1);
  expect(retries[0]).toMatchObject({ reason: 'the service is back', actor: { type: 'token', name: 'fixer' } });
});

test('a repeated retry while the first attempt is still running is answered as the first, not refused', async () => {
  const { ieId } = await parkedAt3('/slow');
  // The attempt's request waits long enough for the repeat to arrive while it runs.
  http.script('/slow/b', { status: 200, body: { ok: true }, delayMs: 1500 });
  const key = { 'idempotency-key': 'slow-1' };
  const [first, second] = await Promise.all([
    call('POST', `/dlqs/${ieId}/retry`, undefined, key),
    call('POST', `/dlqs/${ieId}/retry`, undefined, key),
  ]);
  expect([first.status, second.status]).toEqual([200, 200]);
  await waitForIe(ieId, 'the IE to be resolved', (d) => d.resolved);
  expect(http.count('/slow/b')).toBe(2); // the first run's failure and one attempt
  expect((await harness.store.incompleteExecutions.get(ieId))?.attempts).toBe(1);
});

test("the blueprint diff, and a retry with the scenario's current blueprint (checked, then kept by the IE)", async () => {
  const { scenarioId, ieId } = await parkedAt3('/cur');
  const current = blueprintOf('/cur');
  current.flow[2] = http.httpModule(3, '/cur/c', { method: 'post', data: '{{1.n}}' });
  current.flow.push(http.httpModule(4, '/cur/d', { method: 'put', data: '{{3.data}}' }));
  await harness.store.scenarios.update(harness.orgId, scenarioId, { blueprint: blueprintSchema.parse(current) });

  const diff = await call('GET', `/dlqs/${ieId}/blueprint-diff`);
  expect(diff.status).toBe(200);
  expect(diff.body.diff.added).toEqual([{ moduleId: 4, module: 'http:ActionSendData' }]);
  expect(diff.body.diff.removed).toEqual([]);
  expect(diff.body.diff.changed).toEqual([
    {
      moduleId: 3,
      module: 'http:ActionSendData',
      fields: [{ path: 'mapper.url', before: http.url('/cur/b'), after: http.url('/cur/c') }],
    },
  ]);

  const plan = await call('GET', `/dlqs/${ieId}/plan?blueprint=current`);
  expect(plan.body.plan.modules.map((m: { moduleId: number }) => m.moduleId)).toEqual([3, 4]);

  const retried = await call('POST', `/dlqs/${ieId}/retry`, { blueprint: 'current' });
  expect(retried.status).toBe(200);
  await waitForIe(ieId, 'the IE to be resolved', (d) => d.resolved);
  expect(http.count('/cur/c')).toBe(1);
  expect(http.count('/cur/d')).toBe(1);
  expect(http.count('/cur/b')).toBe(1); // only the first run's
  const [entry] = (await call('GET', `/dlqs/${ieId}/changes`)).body.dlqChanges;
  expect(entry).toMatchObject({ kind: 'retry', changes: { blueprint: { modules: { added: [4], changed: [3] } } } });
});

test('a current blueprint without the failed module is refused by name, and the IE is left as it was', async () => {
  const { scenarioId, ieId } = await parkedAt3('/gone');
  const without = blueprintOf('/gone');
  without.flow.splice(2, 1);
  await harness.store.scenarios.update(harness.orgId, scenarioId, {
    blueprint: blueprintSchema.parse(without) as Blueprint,
  });
  const refused = await call('POST', `/dlqs/${ieId}/retry`, { blueprint: 'current' });
  expect(refused.status).toBe(400);
  expect(refused.body.detail).toEqual([
    { path: 'blueprint', in: 'body', message: 'the current blueprint has no module 3 (the failed module)' },
  ]);
  const stored = await harness.store.incompleteExecutions.get(ieId);
  expect(stored?.attempts).toBe(0);
  expect(JSON.parse(stored?.blueprint ?? '{}').flow).toHaveLength(3);
});

test('an Idempotency-Key sent again with another body is refused (422) and changes nothing; the same body in another key order is the same request', async () => {
  const { ieId } = await parkedAt3('/reuse');
  const key = { 'idempotency-key': 'patch-reuse-1' };
  const first = await call('PATCH', `/dlqs/${ieId}`, { bundles: { '1': { value: { n: 8, note: 'a' } } } }, key);
  expect(first.status).toBe(200);
  const bundleAfterFirst = (await harness.store.incompleteExecutions.get(ieId))?.context;

  // Another body under the same key: answering the first verdict would drop this change silently.
  const other = await call('PATCH', `/dlqs/${ieId}`, { bundles: { '1': { value: { n: 9 } } } }, key);
  expect(other.status).toBe(422);
  expect(other.body).toMatchObject({
    code: 'IM_IDEMPOTENCY_KEY_REUSED',
    detail: [{ path: 'Idempotency-Key', message: 'already used for another body' }],
  });
  expect(other.body.message).toMatch(/sent before with another patch request body: nothing was done/);
  expect((await harness.store.incompleteExecutions.get(ieId))?.context).toBe(bundleAfterFirst);

  // The first body again, its keys in another order: a repeat, answered as the first.
  const repeat = await call('PATCH', `/dlqs/${ieId}`, { bundles: { '1': { value: { note: 'a', n: 8 } } } }, key);
  expect(repeat.status).toBe(200);
  const changes = await call('GET', `/dlqs/${ieId}/changes`);
  expect(changes.body.dlqChanges.filter((c: { kind: string }) => c.kind === 'patch')).toHaveLength(1);

  // The key is per request kind: a retry under it is a request of its own.
  http.script('/reuse/b', { status: 200, body: { ok: true } });
  const retried = await call('POST', `/dlqs/${ieId}/retry`, { reason: 'fixed' }, key);
  expect(retried.status).toBe(200);
  const retriedAgain = await call('POST', `/dlqs/${ieId}/retry`, { reason: 'fixed, again' }, key);
  expect(retriedAgain.status).toBe(422);
  await waitForIe(ieId, 'the IE to be resolved', (d) => d.resolved);
});
