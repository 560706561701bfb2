/**
 * Incomplete executions on the real dev server and wire-protocol server: storing, Make's
 * auto-retry schedule (in seconds here), manual resolution by update and signal.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { ieDocument, waitForIeDocument } from '../helpers/ie-waits';
import { waitFor } from '../../src/stack/wait';
import { webhookTrigger } from '../helpers/blueprints';
import { ieWorkflowId, type IncompleteExecutionState } from '../../src/domain';
import { RequestRejectedError } from '../../src/temporal/client';
import type { IncompleteExecutionDocument } from '../../src/store';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;
const SCHEDULE = [500, 500, 500, 500, 500, 500, 500, 500];

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: SCHEDULE });
  http = await new ScriptedHttpServer().start();
});

afterAll(async () => {
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

const webhook = webhookTrigger;
const httpModule = (id: number, path: string, extra: Record<string, unknown> = {}) => http.httpModule(id, path, extra);

/** Runs a dlq scenario whose module 2 or later fails; returns the run result and its one IE. */
async function parkOne(flow: unknown[], data: unknown = { n: 1 }) {
  const scenarioId = await imex.createScenario({ name: 'ie test', flow, metadata: { scenario: { dlq: true } } });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data });
  const result = await imex.imex.scenarioRunResult(executionId);
  const ieId = result.parked[0]?.ieId as string;
  return { scenarioId, executionId, result, ieId };
}

const ieDoc = (ieId: string) => ieDocument(imex.store, ieId);
const waitForIe = (ieId: string, what: string, predicate: (doc: IncompleteExecutionDocument) => boolean) =>
  waitForIeDocument(imex.store, ieId, what, predicate);

test('a ConnectionError parks with auto-retry and resolves once the service recovers; earlier modules never run again', async () => {
  const path = '/recovers';
  // Three in-run tries fail (the run parks), the first auto-retry's three too, then it recovers.
  const down = { status: 503 };
  http.script(path, down, down, down, down, down, down, { status: 200 });
  const { result, ieId, executionId } = await parkOne([webhook, httpModule(2, '/before'), httpModule(3, path)]);
  expect(result).toMatchObject({ status: 'warning', parked: [{ failer: 3, bundleIndex: 0 }] });
  expect(ieId).toMatch(/^[0-9a-f]{32}$/);

  const stored = await ieDoc(ieId);
  expect(stored).toMatchObject({ executionId, failer: 3, retry: true, error: { type: 'ConnectionError' } });
  expect(Object.keys(JSON.parse(stored.context ?? '{}') as object).sort()).toEqual(['1', '2']);

  const resolved = await waitForIe(ieId, 'the IE to resolve', (d) => d.resolved);
  expect(resolved).toMatchObject({ status: 'resolved', attempts: 2, retry: false });
  expect(resolved.context).toBeUndefined(); // bundles deleted once resolved
  expect(http.count('/before')).toBe(1);
  expect(http.count(path)).toBe(7);
  // The attempts are logged as executions of the IE.
  const attempts = await imex.store.executions.listByIncompleteExecution(ieId);
  expect(attempts.map((a) => a.status)).toEqual(['error', 'success']);
});

test('a DataError parks without auto-retry and waits until resolved with a patched blueprint', async () => {
  http.script('/wrong', { status: 400 });
  http.script('/right', { status: 200 });
  const flow = [webhook, httpModule(2, '/wrong', { data: '{"n":{{1.n}}}' })];
  const { ieId } = await parkOne(flow, { n: 42 });
  const waiting = await waitForIe(ieId, 'the IE to be unresolved', (d) => d.status === 'unresolved');
  expect(waiting).toMatchObject({ retry: false, attempts: 0, error: { type: 'DataError' } });
  expect((await imex.imex.incompleteExecutionState(ieId))?.nextRetryAt).toBeNull();

  const fixed = {
    name: 'fixed',
    flow: [webhook, httpModule(2, '/right', { data: '{"n":{{1.n}}}' })],
    metadata: { scenario: { dlq: true } },
  };
  const state = await imex.imex.requestIncompleteExecution(ieId, 'resolve', { blueprint: JSON.stringify(fixed) });
  // Answered once the attempt waits for its slot (or runs): it counts when it runs.
  expect(state.waitingForSlot || state.status === 'in_progress').toBe(true);
  const resolved = await waitForIe(ieId, 'the IE to resolve', (d) => d.resolved);
  expect(resolved.attempts).toBe(1);
  expect(JSON.parse(http.requestsTo('/right').at(-1)?.body ?? '')).toEqual({ n: 42 });
  expect(http.count('/wrong')).toBe(1);
});

test('after 8 failed attempts the IE is unresolved with retry off', async () => {
  http.script('/always-down', { status: 503 });
  const { ieId } = await parkOne([webhook, httpModule(2, '/always-down')]);
  const exhausted = await waitForIe(
    ieId,
    'the schedule to run out',
    (d) => d.attempts === 8 && d.status === 'unresolved',
  );
  expect(exhausted).toMatchObject({ retry: false, resolved: false, nextRetryAt: null });
  expect(http.count('/always-down')).toBe(3 * 9); // the run and 8 attempts, each with 3 in-run tries
});

test('a retry that fails with a DataError stops the schedule', async () => {
  http.script('/turns-bad', { status: 503 }, { status: 503 }, { status: 503 }, { status: 422 });
  const { ieId } = await parkOne([webhook, httpModule(2, '/turns-bad')]);
  const stopped = await waitForIe(ieId, 'the schedule to stop', (d) => d.attempts === 1 && d.status === 'unresolved');
  expect(stopped).toMatchObject({ retry: false, error: { type: 'DataError' } });
});

test('an attempt that fails at a later module moves the same IE there', async () => {
  http.script('/step-two', { status: 503 }, { status: 503 }, { status: 503 }, { status: 200, body: { token: 't' } });
  http.script('/step-three', { status: 400 });
  const { ieId } = await parkOne([webhook, httpModule(2, '/step-two'), httpModule(3, '/step-three')]);
  const moved = await waitForIe(ieId, 'the failer to move', (d) => d.failer === 3 && d.status === 'unresolved');
  expect(moved).toMatchObject({ attempts: 1, retry: false, error: { type: 'DataError' } });
  expect(Object.keys(JSON.parse(moved.context ?? '{}') as object).sort()).toEqual(['1', '2']);
  expect(await imex.store.incompleteExecutions.collection.countDocuments({ executionId: moved.executionId })).toBe(1);
});

describe('requests', () => {
  let ieId: string;
  beforeAll(async () => {
    http.script('/manual', { status: 404 });
    ({ ieId } = await parkOne([webhook, httpModule(2, '/manual')]));
    await waitForIe(ieId, 'the IE to wait', (d) => d.status === 'unresolved');
  });

  test('an update is rejected with the reason and changes nothing', async () => {
    const before = await ieDoc(ieId);
    await expect(imex.imex.requestIncompleteExecution(ieId, 'patch', { failer: 9 })).rejects.toThrow(
      new RequestRejectedError('failer 9: no module with that id in the blueprint'),
    );
    await expect(
      imex.imex.requestIncompleteExecution(ieId, 'patch', { blueprint: { flow: [{ id: 1, module: 'nope:Nope' }] } }),
    ).rejects.toThrow(/invalid blueprint: .*nope:Nope/);
    await expect(imex.imex.requestIncompleteExecution(ieId, 'patch', { failer: 'x' } as never)).rejects.toThrow(
      /failer/,
    );
    const after = await ieDoc(ieId);
    expect({ ...after, updatedAt: null }).toEqual({ ...before, updatedAt: null });
  });

  test('a retry while an attempt runs is rejected; a duplicate requestId is answered, not applied twice', async () => {
    http.script('/manual', { status: 200, hang: true });
    const first = await imex.imex.requestIncompleteExecution(ieId, 'retry', { requestId: 'r-1' });
    expect(first.waitingForSlot || first.status === 'in_progress').toBe(true);
    await waitFor(
      'the attempt to run',
      async () => ((await imex.imex.incompleteExecutionState(ieId))?.status === 'in_progress' ? true : undefined),
      { timeoutMs: 30_000 },
    );
    const again = await imex.imex.requestIncompleteExecution(ieId, 'retry', { requestId: 'r-1' });
    expect(again.attempts).toBe(1);
    await expect(imex.imex.requestIncompleteExecution(ieId, 'retry', { requestId: 'r-2' })).rejects.toThrow(
      'an attempt is in progress',
    );
    await expect(imex.imex.requestIncompleteExecution(ieId, 'delete')).rejects.toThrow('an attempt is in progress');
  });

  test('a signal that cannot be honoured is recorded as rejected with its reason', async () => {
    await imex.imex.signalIncompleteExecution(ieId, 'retry', { requestId: 's-1' });
    const doc = await waitForIe(ieId, 'the rejection to be recorded', (d) => (d.rejections ?? []).length > 0);
    expect(doc.rejections?.at(-1)).toMatchObject({
      requestId: 's-1',
      request: 'retry',
      reason: 'an attempt is in progress',
    });
    const state = (await imex.imex.incompleteExecutionState(ieId)) as IncompleteExecutionState;
    expect(state.lastRejection).toMatchObject({ request: 'retry', reason: 'an attempt is in progress' });
  });
});

test('delete leaves a tombstone, ends the workflow, and later requests are refused', async () => {
  http.script('/to-delete', { status: 409 });
  const { ieId } = await parkOne([webhook, httpModule(2, '/to-delete')]);
  await waitForIe(ieId, 'the IE to wait', (d) => d.status === 'unresolved');
  const state = await imex.imex.requestIncompleteExecution(ieId, 'delete', { requestId: 'd-1' });
  expect(state.deleted).toBe(true);
  const tombstone = await ieDoc(ieId);
  expect(tombstone).toMatchObject({ deleted: true });
  expect(tombstone.blueprint).toBeUndefined();
  expect(tombstone.context).toBeUndefined();
  await env.client.workflow.getHandle(ieWorkflowId(ieId)).result();
  await expect(imex.imex.requestIncompleteExecution(ieId, 'retry')).rejects.toThrow(
    'the incomplete execution is deleted',
  );
});
