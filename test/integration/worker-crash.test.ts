/**
 * Bounded recovery after a worker crash (docs/reliability.md): a worker in its own process is
 * SIGKILLed while a module activity waits on a slow HTTP call; another worker finishes the run
 * within seconds (the module activity's heartbeat timeout), not after the activity's
 * start-to-close timeout, and the retried call carries the same Idempotency-Key.
 */
import { blueprintSchema, ACTIVITY_HEARTBEAT_TIMEOUT_MS, moduleStartToCloseMs } from '../../src/domain';
import { waitFor } from '../../src/stack/wait';
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
  await processes?.close();
  await http?.stop();
  await env?.close();
});

test('a run whose worker was SIGKILLed mid-request finishes on another worker within the heartbeat bound', async () => {
  const { store, imex, startWorker } = (processes = await openWorkerProcesses(env, 'crash'));

  // The first call never answers (the worker dies waiting); the retried one succeeds.
  http.script('/slow', { status: 200, hang: true }, { status: 200, body: { stored: true } });
  // A 120 s module timeout: without heartbeats the retry would wait out 150 s of start-to-close.
  const slowCall = http.httpModule(2, '/slow', { data: '{"order":"{{1.order}}"}', timeout: 120 });
  expect(moduleStartToCloseMs(slowCall)).toBe(150_000);
  const org = await store.organizations.create({ name: env.unique('org') });
  const scenario = await store.scenarios.create({
    orgId: org._id,
    name: 'worker crash',
    blueprint: blueprintSchema.parse({
      name: 'worker crash',
      flow: [webhookTrigger, slowCall],
      metadata: { scenario: { dlq: true } },
    }),
  });

  const first = await startWorker();
  const { executionId } = await imex.startScenarioRun({ orgId: org._id, scenarioId: scenario.id, data: { order: 7 } });
  await waitFor('the slow call to reach the service', async () => (http.count('/slow') >= 1 ? true : undefined), {
    timeoutMs: 90_000,
  });
  // A standby worker is up before the crash, as in a deployment with more than one.
  await startWorker();
  const crashedAt = Date.now();
  await first.kill();

  const result = await imex.scenarioRunResult(executionId);
  const recoveryMs = Date.now() - crashedAt;
  process.stderr.write(`worker crash: run finished ${recoveryMs} ms after the SIGKILL\n`);

  expect(result).toMatchObject({ status: 'success', parked: [] });
  const calls = http.requestsTo('/slow');
  expect(calls).toHaveLength(2);
  // The service can tell the retry from a new request: one effect however often it is tried.
  expect(calls[1]?.headers['idempotency-key']).toBe(calls[0]?.headers['idempotency-key']);
  // Generous: the heartbeat timeout plus workflow-task timeouts and a loaded machine, far below 150 s.
  expect(recoveryMs).toBeLessThan(ACTIVITY_HEARTBEAT_TIMEOUT_MS + 70_000);
}, 240_000);
