/**
 * A bulk retry is accepted without waiting for the attempts (issue 15): each IE answers the retry
 * in the workflow task that accepts it, and writes its change-log entry from the attempt. Here
 * the worker runs 4 activities at once and a slow service holds 3 of them (the scenario's 3
 * attempt slots): every retry of the bulk request is still accepted while no attempt has finished.
 * Before, each retry waited for a change-log activity, so the bulk request stood still until the
 * service answered. Then every IE resolves exactly once: one attempt, one call, one log entry.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { waitForIeDocument } from '../helpers/ie-waits';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { bulkOperationWorkflowId } from '../../src/temporal/client';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  // One slot for the bulk operation's chunk, three for the slow attempts: none left for anything else.
  imex = await startImexHarness(env, { schedule: [60_000], maxConcurrentActivityTaskExecutions: 4 });
  http = await new ScriptedHttpServer().start();
});

afterAll(async () => {
  http?.release();
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

test('a bulk retry is accepted while the attempts it starts are still held by a slow service', async () => {
  const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
  // Each key's first call (the run) is refused (parked for a person); its attempt's call is held.
  for (const k of keys) http.script(`/bulk/${k}`, { status: 400 }, { status: 200, held: true });
  const scenarioId = await imex.createScenario({
    name: 'bulk acceptance',
    flow: [
      webhookTrigger,
      http.httpModule(2, '/bulk', { url: `${http.url('/bulk/')}{{1.k}}`, data: '{"k":"{{1.k}}"}' }),
    ],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await imex.imex.startScenarioRun({
    orgId: imex.orgId,
    scenarioId,
    data: keys.map((k) => ({ k })),
  });
  const parked = (await imex.imex.scenarioRunResult(executionId)).parked.map((p) => p.ieId as string);
  expect(parked).toHaveLength(keys.length);
  for (const id of parked) {
    await waitForIeDocument(imex.store, id, 'the IE to wait for a person', (d) => d.status === 'unresolved');
  }

  // Three attempts take the scenario's slots and three of the worker's four activity slots.
  const [first, ...rest] = [parked.slice(0, 3), parked.slice(3)];
  for (const id of first!) await imex.imex.requestIncompleteExecution(id, 'retry');
  const heldCalls = () => http.requests.filter((r) => r.status === undefined).length;
  await waitFor('three attempts held by the service', async () => (heldCalls() === 3 ? true : undefined), {
    timeoutMs: 60_000,
  });

  const operationId = 'ab'.repeat(16);
  await imex.imex.startBulkOperation({
    operationId,
    orgId: imex.orgId,
    scenarioId,
    kind: 'retry',
    target: { ids: rest.flat() },
  });
  const operation = (await imex.store.bulkOperations.get(operationId))!;
  await waitFor(
    'every retry of the bulk request accepted',
    async () =>
      (await imex.store.bulkOperations.progress(operation)).succeeded === rest.flat().length ? true : undefined,
    { timeoutMs: 90_000 },
  );
  // Accepted while no attempt has finished: the service has answered none of them.
  expect(http.requests.filter((r) => r.status === 200)).toHaveLength(0);
  expect(heldCalls()).toBe(3);

  http.release();
  const summary = await env.client.workflow.getHandle(bulkOperationWorkflowId(operationId)).result();
  expect(summary).toMatchObject({ total: rest.flat().length, succeeded: rest.flat().length, failed: 0 });
  for (const id of parked) {
    const doc = await waitForIeDocument(imex.store, id, 'every IE to resolve', (d) => d.resolved);
    expect(doc.attempts).toBe(1);
    // The retry's log entry, written by its attempt: once.
    const { changes } = await imex.store.ieChanges.page(id, 0, 50);
    expect(changes.filter((c) => c.kind === 'retry')).toHaveLength(1);
  }
  // Each key called twice: the run that parked it and its one attempt.
  for (const k of keys) expect(http.count(`/bulk/${k}`)).toBe(2);
});
