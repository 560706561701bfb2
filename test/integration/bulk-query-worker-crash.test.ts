/**
 * A bulk retry by query survives a worker crash without applying anything twice: the worker in
 * its own process is SIGKILLed while the operation's page waits on attempts it started; another
 * worker reads the page again, finds the IEs claimed in the ledger and sends them the same
 * request (answered, not applied again), and goes on. Every IE ends with one verdict, one attempt
 * and one retry in its change log.
 */
import { blueprintSchema } from '../../src/domain';
import { waitFor } from '../../src/stack/wait';
import { bulkQueryOperationWorkflowId } from '../../src/temporal/client';
import { webhookTrigger } from '../helpers/blueprints';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { openWorkerProcesses, type WorkerProcesses } from '../helpers/worker-processes';

let env: TestEnv;
let http: ScriptedHttpServer;
let processes: WorkerProcesses | undefined;

beforeAll(async () => {
  env = await openTestEnv();
  http = await new ScriptedHttpServer().start();
});

afterAll(async () => {
  http?.release();
  await processes?.close();
  await http?.stop();
  await env?.close();
});

test('a worker SIGKILLed mid-operation: the next one finishes it, nothing applied twice', async () => {
  const { store, imex, startWorker } = (processes = await openWorkerProcesses(env, 'bulkq-crash'));
  http.script('/w', { status: 400, body: { error: 'refused' } });
  const org = await store.organizations.create({ name: env.unique('org') });
  const scenario = await store.scenarios.create({
    orgId: org._id,
    name: 'bulk query crash',
    blueprint: blueprintSchema.parse({
      name: 'bulk query crash',
      flow: [webhookTrigger, http.httpModule(2, '/w', { data: '{"n":"{{1.n}}"}' })],
      metadata: { scenario: { dlq: true } },
    }),
  });
  const first = await startWorker();
  const ieIds: string[] = [];
  for (let n = 0; n < 5; n++) {
    const { executionId } = await imex.startScenarioRun({ orgId: org._id, scenarioId: scenario.id, data: { n } });
    ieIds.push((await imex.scenarioRunResult(executionId)).parked[0]?.ieId as string);
  }
  await waitFor(
    'the IEs to wait for a person',
    async () => {
      const docs = await Promise.all(ieIds.map((id) => store.incompleteExecutions.get(id)));
      return docs.every((d) => d?.status === 'unresolved') ? true : undefined;
    },
    { timeoutMs: 60_000 },
  );

  // The attempts' calls are held: the page waits on its 3 attempts when the worker dies.
  http.script('/w', { status: 200, held: true });
  const operationId = 'ef'.repeat(16);
  await imex.startBulkQueryOperation({
    operationId,
    orgId: org._id,
    action: 'retry',
    query: { scenarioIds: [scenario.id] },
    upTo: new Date(),
    matched: 5,
  });
  const held = () => http.requestsTo('/w').filter((r) => r.status === undefined).length;
  await waitFor('3 attempts held', async () => (held() === 3 ? true : undefined), { timeoutMs: 90_000 });
  await startWorker();
  await first.kill();
  http.release();

  const state = await env.client.workflow.getHandle(bulkQueryOperationWorkflowId(operationId)).result();
  expect(state).toBe('completed');
  const items = await store.bulkQueries.items.find({ operationId }).toArray();
  expect(items.map((i) => i.ieId).sort()).toEqual([...ieIds].sort());
  expect(items.every((i) => i.verdict === 'applied')).toBe(true);
  const [view] = await store.bulkQueries.withProgress([(await store.bulkQueries.get(operationId))!]);
  expect(view).toMatchObject({ state: 'completed', matched: 5, applied: 5, skipped: 0, failed: 0 });
  for (const id of ieIds) {
    const doc = await waitFor(
      'the IE to resolve',
      async () => {
        const d = await store.incompleteExecutions.get(id);
        return d?.resolved ? d : undefined;
      },
      { timeoutMs: 90_000 },
    );
    expect(doc.attempts).toBe(1);
    const { changes } = await store.ieChanges.page(id, 0, 50);
    expect(changes.filter((c) => c.kind === 'retry')).toHaveLength(1);
  }
}, 300_000);
