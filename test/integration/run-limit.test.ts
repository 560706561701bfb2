/**
 * Make's run-duration limit (reference §1.8, §2.3; workflows/run-limit.ts) on the real dev server
 * and wire-protocol server, with a deployment limit of 1.5 s: a run still sleeping, or waiting on a
 * slow service, at its limit ends with the ExecutionInterruptedError warning, keeps the log of what
 * it did, runs nothing further and stores no incomplete execution; a scenario's own
 * `imex.runLimit` (0: none) wins over the deployment's.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { runLimitMs: 1500 });
  http = await new ScriptedHttpServer().start();
});

afterAll(async () => {
  if (imex) await terminateOpenWorkflows(env.client, imex.taskQueue);
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

const sleepModule = (id: number, seconds: number) => ({
  id,
  module: 'util:FunctionSleep',
  version: 1,
  parameters: {},
  mapper: { duration: seconds },
});

async function runOnce(flow: unknown[], scenario: Record<string, unknown> = {}) {
  const scenarioId = await imex.createScenario({
    name: 'run limit',
    flow,
    metadata: { scenario: { dlq: true, ...scenario } },
  });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: { n: 7 } });
  const result = await imex.imex.scenarioRunResult(executionId);
  const record = await imex.store.executions.get(imex.orgId, executionId);
  const openIes = await imex.store.incompleteExecutions.countOpen(imex.orgId, scenarioId);
  return { scenarioId, executionId, result, record, openIes };
}

test('a run still sleeping at its limit ends with the ExecutionInterrupted warning, keeps its log and runs nothing further', async () => {
  const path = '/after-long-sleep';
  http.script(path, { status: 200 });
  const { result, record, openIes } = await runOnce([webhookTrigger, sleepModule(2, 30), http.httpModule(3, path)]);

  expect(result.status).toBe('warning');
  expect(result.error).toBeUndefined();
  expect(result.parked).toEqual([]);
  expect(result.notes).toEqual([
    expect.stringMatching(/^ExecutionInterruptedError: the run was interrupted at its limit of 1500 ms/),
  ]);
  expect(http.requestsTo(path)).toHaveLength(0);
  expect(openIes).toBe(0);
  // What it did is kept: the trigger's operation and its output, in the run's log.
  expect(record?.status).toBe('warning');
  expect(record?.log.map((e) => `${e.moduleId}:${e.status}`)).toEqual(['1:success']);
  expect(record?.log[0]?.output).toEqual([{ n: 7 }]);
});

test('a module waiting on a slow service at the limit is cancelled: a warning, no error, no incomplete execution', async () => {
  const path = '/slow-service';
  http.script(path, { status: 200, delayMs: 20_000 });
  const { result, record, openIes } = await runOnce([webhookTrigger, http.httpModule(2, path)]);

  expect(result.status).toBe('warning');
  expect(result.notes.join(' ')).toMatch(/ExecutionInterruptedError/);
  expect(http.requestsTo(path)).toHaveLength(1);
  expect(openIes).toBe(0);
  expect(record?.log.map((e) => e.moduleId)).toEqual([1]);
});

test("a scenario's own imex.runLimit wins over the deployment's (0: no limit)", async () => {
  const path = '/after-short-sleep';
  http.script(path, { status: 200 });
  const { result } = await runOnce([webhookTrigger, sleepModule(2, 2), http.httpModule(3, path)], {
    imex: { runLimit: 0 },
  });
  expect(result.status).toBe('success');
  expect(http.requestsTo(path)).toHaveLength(1);
});
