/**
 * Determinism guard (DESIGN.md §8): incomplete executions live for weeks across deployments, so
 * every workflow type's recorded histories must replay against the current code. Histories are
 * recorded from real runs here and kept in test/fixtures/histories/; a workflow change that
 * breaks replay fails CI until it goes through `patched()`.
 *
 * IMEX_RECORD_HISTORIES=1 npx jest --selectProjects integration -- test/integration/replay
 * adds fixtures for histories not recorded yet (existing ones are never overwritten).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { imexWorkflowBundle, startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { coordinatorWorkflowId, ieWorkflowId, runWorkflowId } from '../../src/domain';
import { coordinatorStateQuery } from '../../workflows/scenario-coordinator-messages';
import { bulkOperationWorkflowId, bulkQueryOperationWorkflowId, RequestRejectedError } from '../../src/temporal/client';
import { stateFromDocument } from '../../activities/start-incomplete-execution';

const fixtures = path.resolve(__dirname, '../fixtures/histories');
const record = process.env.IMEX_RECORD_HISTORIES === '1';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: [300, 300] });
  http = await new ScriptedHttpServer().start();
});

afterAll(async () => {
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

const webhook = webhookTrigger;
const httpModule = (id: number, path: string) => http.httpModule(id, path, { data: '{{1.n}}' });

async function run(name: string, flow: unknown[], dlq: boolean, data: unknown = { n: 1 }) {
  const scenarioId = await imex.createScenario({ name, flow, metadata: { scenario: { dlq } } });
  return { scenarioId, ...(await runAgain(scenarioId, data)) };
}

async function runAgain(scenarioId: number, data: unknown = { n: 1 }) {
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data });
  return { executionId, result: await imex.imex.scenarioRunResult(executionId) };
}

async function history(workflowId: string) {
  return env.client.workflow.getHandle(workflowId).fetchHistory();
}

async function replay(histories: { workflowId: string; history: unknown }[]) {
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await imexWorkflowBundle(), replayName: 'imex-replay' },
    histories.map(({ workflowId, history: h }) => ({ workflowId, history: h as never })),
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return failures;
}

test('fresh histories of every workflow type replay against the current code', async () => {
  http.script('/ok', { status: 200 });
  http.script('/flaky', { status: 503 }, { status: 503 }, { status: 503 }, { status: 200 });
  http.script('/bad', { status: 400 });
  http.script('/fatal', { status: 500 });

  // Runs on demand start without the coordinator, registered in the store (RUN_LEASE_PATCH).
  const success = await run('replay: success', [webhook, httpModule(2, '/ok')], false);
  const error = await run('replay: error', [webhook, httpModule(2, '/fatal')], false);
  const resolved = await run('replay: parked then resolved', [webhook, httpModule(2, '/flaky')], true);
  const deleted = await run('replay: parked then deleted', [webhook, httpModule(2, '/bad')], true);
  const resolvedIe = resolved.result.parked[0]?.ieId as string;
  const deletedIe = deleted.result.parked[0]?.ieId as string;
  await waitFor(
    'the auto-retried IE to resolve',
    async () => ((await imex.store.incompleteExecutions.get(resolvedIe))?.resolved ? true : undefined),
    { timeoutMs: 30_000 },
  );
  await imex.imex.requestIncompleteExecution(deletedIe, 'patch', { failer: 7 }).catch(() => undefined);
  // Logged changes (CHANGE_LOG_PATCH): a patch merged into the stored bundles, with who and why.
  await imex.imex.requestIncompleteExecution(deletedIe, 'patch', {
    bundles: { '1': { value: { n: 2 } } },
    actor: { type: 'token', tokenId: 'replay', name: 'replay' },
    reason: 'replay',
  });
  await imex.imex.signalIncompleteExecution(deletedIe, 'retry', { requestId: 'replay-retry' });
  await waitFor(
    'the retry to be applied',
    async () => {
      const doc = await imex.store.incompleteExecutions.get(deletedIe);
      return doc?.attempts === 1 && doc.status === 'unresolved' ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );
  await imex.imex.requestIncompleteExecution(deletedIe, 'delete');
  await env.client.workflow.getHandle(ieWorkflowId(resolvedIe)).result();
  await env.client.workflow.getHandle(ieWorkflowId(deletedIe)).result();

  // A bulk retry over the scenario's open IEs, and a maintenance pass.
  const bulkScenario = (await imex.store.incompleteExecutions.get(deletedIe))?.scenarioId as number;
  const operationId = 'ab'.repeat(16);
  await imex.imex.startBulkOperation({
    operationId,
    orgId: imex.orgId,
    scenarioId: bulkScenario,
    kind: 'retry',
    target: { all: true, exceptIds: [] },
  });
  await env.client.workflow.getHandle(bulkOperationWorkflowId(operationId)).result();
  // The same scenario's IEs by query, paused and resumed on the way (a move refused once it is over).
  const queryOperationId = 'cd'.repeat(16);
  await imex.imex.startBulkQueryOperation({
    operationId: queryOperationId,
    orgId: imex.orgId,
    action: 'retry',
    query: { scenarioIds: [bulkScenario] },
    upTo: new Date(),
    matched: 0,
  });
  for (const control of ['pause', 'resume'] as const) {
    await imex.imex.controlBulkQueryOperation(queryOperationId, control).catch((err: unknown) => {
      if (!(err instanceof RequestRejectedError)) throw err;
    });
  }
  await env.client.workflow.getHandle(bulkQueryOperationWorkflowId(queryOperationId)).result();
  const maintenanceId = env.unique('maintenance');
  await env.client.workflow.execute('maintenance', {
    taskQueue: imex.taskQueue,
    workflowId: maintenanceId,
    args: [{ purgeAfterMs: 3_600_000, minAgeMs: 3_600_000 }],
  });

  // A schedule's occurrence of a sequential scenario, handed to its coordinator.
  const sequential = await imex.createScenario({
    name: 'replay: sequential',
    flow: [webhook, httpModule(2, '/ok')],
    metadata: { scenario: { sequential: true } },
  });
  const tickId = env.unique('tick');
  await env.client.workflow.execute('scenarioScheduleTick', {
    taskQueue: imex.taskQueue,
    workflowId: tickId,
    args: [{ orgId: imex.orgId, scenarioId: sequential }],
  });
  const coordinator = env.client.workflow.getHandle(coordinatorWorkflowId(imex.taskQueue, sequential));
  await waitFor(
    'the scheduled run to finish',
    async () => {
      const state = await coordinator.query(coordinatorStateQuery);
      return state.running.length === 0 && state.pendingRuns === 0 && state.started >= 1 ? true : undefined;
    },
    { timeoutMs: 30_000 },
  );

  // Not sequential: an occurrence (its run ends with an error) and a webhook payload start their
  // runs directly, and each run's end counts it and delivers waiting payloads (DIRECT_RUN_END_PATCH).
  const directTick = await env.client.workflow.start('scenarioScheduleTick', {
    taskQueue: imex.taskQueue,
    workflowId: env.unique('tick-direct'),
    args: [{ orgId: imex.orgId, scenarioId: error.scenarioId }],
  });
  await directTick.result();
  const scheduledRun = directTick.firstExecutionRunId.replace(/-/g, '').toLowerCase();
  expect((await imex.imex.scenarioRunResult(scheduledRun)).status).toBe(error.result.status);
  const hookId = (await imex.store.scenarios.get(imex.orgId, success.scenarioId))?.hookId as string;
  const accepted = await imex.imex.acceptWebhook(hookId, { n: 2 });
  const webhookRun = (accepted as { executionId: string }).executionId;
  expect((await imex.imex.scenarioRunResult(webhookRun)).status).toBe('success');

  // An attempt over a fan-out where two bundles fail again: the IE moves, the other is parked
  // (ATTEMPT_KEEPS_BUNDLES_PATCH); the IE's attempt waited for its slot as `pending` (ATTEMPT_SLOT_WAIT_PATCH).
  http.script('/fan-gate', { status: 400 }, { status: 200 });
  http.script('/fan/a', { status: 200 });
  http.script('/fan/b', { status: 400 });
  http.script('/fan/c', { status: 400 });
  const fanOut = await run(
    'replay: attempt over a fan-out',
    [
      webhook,
      httpModule(2, '/fan-gate'),
      { id: 3, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } },
      http.httpModule(4, '/fan', { url: `${http.url('/fan/')}{{3.sku}}` }),
    ],
    true,
    { items: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }] },
  );
  const fanOutIe = fanOut.result.parked[0]?.ieId as string;
  await waitFor(
    'the fan-out IE to wait',
    async () => ((await imex.store.incompleteExecutions.get(fanOutIe))?.status === 'unresolved' ? true : undefined),
    { timeoutMs: 30_000 },
  );
  await imex.imex.requestIncompleteExecution(fanOutIe, 'retry');
  const [fanOutAttempt] = await waitFor(
    'the fan-out attempt to end',
    async () => {
      const doc = await imex.store.incompleteExecutions.get(fanOutIe);
      const attempts = await imex.store.executions.listByIncompleteExecution(fanOutIe);
      return doc?.failer === 4 && doc.status === 'unresolved' && attempts.length === 1 ? attempts : undefined;
    },
    { timeoutMs: 30_000 },
  );
  // A workflow started by hand for an IE already deleted ends at once (CLOSED_STAYS_CLOSED_PATCH).
  const closedStartId = env.unique('ie-closed');
  const deletedDoc = await imex.store.incompleteExecutions.get(deletedIe);
  await env.client.workflow.execute('incompleteExecution', {
    taskQueue: imex.taskQueue,
    workflowId: closedStartId,
    args: [{ state: stateFromDocument(deletedDoc!), schedule: [300, 300] }],
  });

  // IML (IML_PATCH): functions in a mapper (the module activity, with the run's scope), a filter the
  // workflow evaluates with now and random, and a hash filter only an activity can evaluate.
  const imlFilter = [
    { a: '{{length(1.s) + floor(random)}}', o: 'number:greater', b: '0' },
    { a: '{{formatDate(now; "YYYY")}}', o: 'exist' },
    { a: '{{md5(1.s)}}', o: 'text:equal', b: '900150983cd24fb0d6963f7d28e17f72' },
  ];
  const iml = await run(
    'replay: iml',
    [
      webhook,
      {
        ...http.httpModule(2, '/ok', { data: '{{upper(1.s)}}-{{uuid}}-{{var.scenario.id}}' }),
        filter: { name: 'iml', conditions: [imlFilter] },
      },
    ],
    false,
    { s: 'abc' },
  );
  expect(iml.result).toMatchObject({ status: 'success', operations: 2 });

  // Data-store modules stage their writes; the run commits each (autoCommit) and settles at its
  // end (DATA_STORE_TRANSACTIONS_PATCH).
  const dataStore = await imex.store.dataStores.createDataStore({
    orgId: imex.orgId,
    name: 'replay',
    datastructureId: null,
    maxSizeBytes: 1024 * 1024,
  });
  const dataStoreModule = (id: number, type: string, mapper: Record<string, unknown>) => ({
    id,
    module: `datastore:${type}`,
    version: 1,
    parameters: { datastore: dataStore.id },
    mapper,
  });
  const dataStoreRun = await run(
    'replay: data store',
    [
      webhook,
      dataStoreModule(2, 'AddRecord', { key: 'k', data: { n: '{{1.n}}' } }),
      dataStoreModule(3, 'GetRecord', { key: 'k' }),
    ],
    false,
  );
  expect(dataStoreRun.result.status).toBe('success');

  // Aggregators (AGGREGATORS_PATCH): a scope with a bundle parked inside it, and the attempt that
  // resumes inside the scope and aggregates what it brought.
  http.script('/agg-item/b', { status: 400 }, { status: 200 });
  const aggregated = await run(
    'replay: aggregator',
    [
      webhook,
      { id: 2, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } },
      http.httpModule(3, '/agg-item', { url: `${http.url('/agg-item/')}{{2.sku}}` }),
      { id: 4, module: 'builtin:BasicAggregator', version: 1, parameters: { feeder: 2 }, mapper: { sku: '{{2.sku}}' } },
      http.httpModule(5, '/ok', { data: '{{4.__IMTAGGLENGTH__}}' }),
    ],
    true,
    { items: [{ sku: 'a' }, { sku: 'b' }] },
  );
  const aggregatedIe = aggregated.result.parked[0]?.ieId as string;
  await waitFor(
    'the IE inside the scope to wait',
    async () => ((await imex.store.incompleteExecutions.get(aggregatedIe))?.status === 'unresolved' ? true : undefined),
    { timeoutMs: 30_000 },
  );
  await imex.imex.requestIncompleteExecution(aggregatedIe, 'retry');
  const [aggregatedAttempt] = await waitFor(
    'the attempt inside the scope to resolve it',
    async () => {
      const doc = await imex.store.incompleteExecutions.get(aggregatedIe);
      const attempts = await imex.store.executions.listByIncompleteExecution(aggregatedIe);
      return doc?.resolved && attempts.length === 1 ? attempts : undefined;
    },
    { timeoutMs: 30_000 },
  );

  // Make's Sleep waits on a workflow timer (FUNCTION_SLEEP_PATCH).
  const slept = await run(
    'replay: sleep',
    [webhook, { id: 2, module: 'util:FunctionSleep', version: 1, parameters: {}, mapper: { duration: 1 } }],
    false,
  );
  expect(slept.result.status).toBe('success');

  // The run keeps variables and counts for Get variable and Increment (RUN_VARIABLES_PATCH).
  const variables = await run(
    'replay: variables',
    [
      webhook,
      { id: 2, module: 'util:SetVariable2', version: 1, parameters: {}, mapper: { name: 'v', value: '{{1.n}}' } },
      { id: 3, module: 'util:FunctionIncrement', version: 1, parameters: {}, mapper: {} },
      { id: 4, module: 'util:GetVariable2', version: 1, parameters: {}, mapper: { name: 'v' } },
    ],
    false,
  );
  expect(variables.result.status).toBe('success');

  // A run on demand with Make's callbackUrl POSTs its outcome before it closes (RUN_CALLBACK_PATCH).
  http.script('/callback', { status: 204 });
  const callbackScenario = await imex.createScenario({
    name: 'replay: callback',
    flow: [webhook, httpModule(2, '/ok')],
  });
  const callback = await imex.imex.startScenarioRun({
    orgId: imex.orgId,
    scenarioId: callbackScenario,
    data: { n: 1 },
    callbackUrl: http.url('/callback'),
  });
  expect(await imex.imex.scenarioRunResult(callback.executionId)).toMatchObject({ status: 'success' });
  expect(http.count('/callback')).toBe(1);
  // A module that reads a connection carries the run's organization (CONNECTIONS_PATCH).
  const connection = await imex.store.connections.create(imex.orgId, 'replay', {
    type: 'basicauth',
    username: 'u',
    password: 'p',
  });
  const connectionRun = await run(
    'replay: connection',
    [
      webhook,
      { ...http.httpModule(2, '/ok'), module: 'http:ActionSendDataBasicAuth', parameters: { key: connection.id } },
    ],
    false,
  );
  expect(connectionRun.result.status).toBe('success');
  // A retry from the trigger with another blueprint (RETRY_FROM_PATCH): the blueprint is kept as a
  // patch, the attempt's child run starts after the trigger and runs module 2 anew (`rerun`).
  http.script('/from/b', { status: 400 });
  http.script('/from/c', { status: 200 });
  const retryFrom = await run('replay: retry from', [webhook, httpModule(2, '/ok'), httpModule(3, '/from/b')], true);
  const retryFromIe = retryFrom.result.parked[0]?.ieId as string;
  await waitFor(
    'the IE to wait for a person',
    async () => ((await imex.store.incompleteExecutions.get(retryFromIe))?.status === 'unresolved' ? true : undefined),
    { timeoutMs: 30_000 },
  );
  await imex.imex.requestIncompleteExecution(retryFromIe, 'retry', {
    from: 1,
    blueprint: {
      name: 'replay: retry from',
      flow: [webhook, httpModule(2, '/ok'), httpModule(3, '/from/c')],
      metadata: { scenario: { dlq: true } },
    },
  });
  await env.client.workflow.getHandle(ieWorkflowId(retryFromIe)).result();
  const [retryFromAttempt] = await imex.store.executions.listByIncompleteExecution(retryFromIe);
  expect(retryFromAttempt?.operations).toBe(2);

  const recorded = {
    'scenario-run-variables': runWorkflowId(variables.executionId),
    'scenario-run-sleep': runWorkflowId(slept.executionId),
    'scenario-run-aggregated': runWorkflowId(aggregated.executionId),
    'scenario-run-aggregatedattempt': runWorkflowId(aggregatedAttempt!.executionId),
    'scenario-run-callback': runWorkflowId(callback.executionId),
    // Mappings and filters in IML (IML_PATCH): the older scenario-run fixtures replay without it.
    'scenario-run-iml': runWorkflowId(iml.executionId),
    'scenario-run-datastore': runWorkflowId(dataStoreRun.executionId),
    'scenario-run-connection': runWorkflowId(connectionRun.executionId),
    'scenario-run-attemptkeeps': runWorkflowId(fanOutAttempt!.executionId),
    'incomplete-execution-slotwait': ieWorkflowId(fanOutIe),
    'incomplete-execution-closedatstart': closedStartId,
    // Coordinated: runs through the coordinator, attempts with a slot, a deleted IE tells it.
    'scenario-coordinator-runs': coordinatorWorkflowId(imex.taskQueue, sequential),
    'scenario-schedule-tick-fired': tickId,
    'scenario-run-directschedule': runWorkflowId(scheduledRun),
    'scenario-run-directwebhook': runWorkflowId(webhookRun),
    'incomplete-execution-coordinated': ieWorkflowId(resolvedIe),
    'incomplete-execution-notified': ieWorkflowId(deletedIe),
    'bulk-operation-retry': bulkOperationWorkflowId(operationId),
    'bulk-query-operation-retry': bulkQueryOperationWorkflowId(queryOperationId),
    'maintenance-pass': maintenanceId,
    // With blob collection (BLOB_COLLECTION_PATCH); the older fixture replays without it.
    'maintenance-blobs': maintenanceId,
    // Runs register in the store (RUN_LEASE_PATCH); attempts take store slots (STORE_ATTEMPT_SLOTS_PATCH).
    // The coordinator that started runs on demand itself (scenario-coordinator-direct) replays from its fixture.
    'scenario-run-lease': runWorkflowId(success.executionId),
    'incomplete-execution-storeslots': ieWorkflowId(resolvedIe),
    // With the webhook wake-up step (WEBHOOK_WAKE_PATCH); the older fixtures replay without it.
    'maintenance-webhooks': maintenanceId,
    // With the data-store sweep (DATA_STORE_SWEEP_PATCH).
    'maintenance-datastores': maintenanceId,
    // Store writes as local activities (LOCAL_STORE_WRITES_PATCH); the older fixtures ran them as activities.
    'scenario-run-localsuccess': runWorkflowId(success.executionId),
    'scenario-run-localerror': runWorkflowId(error.executionId),
    'scenario-run-localparked': runWorkflowId(resolved.executionId),
    'incomplete-execution-resolved': ieWorkflowId(resolvedIe),
    'incomplete-execution-deleted': ieWorkflowId(deletedIe),
    // Patched, retried (its change-log activity) and deleted, each logged.
    'incomplete-execution-changelog': ieWorkflowId(deletedIe),
    // A waiting attempt looks again by itself rarely and spread out (RARE_SLOT_RECHECK_PATCH).
    'incomplete-execution-rarerecheck': ieWorkflowId(resolvedIe),
    // Its attempt's child run started at the IE's task-queue priority (ATTEMPT_PRIORITY_PATCH).
    'incomplete-execution-attemptpriority': ieWorkflowId(resolvedIe),
    // A retry Update answered when accepted; its attempt writes the change-log entry (PROMPT_RETRY_ACCEPT_PATCH).
    'incomplete-execution-promptretry': ieWorkflowId(fanOutIe),
    // A retry from the trigger with the blueprint it brings (RETRY_FROM_PATCH), and its attempt's run.
    'incomplete-execution-retryfrom': ieWorkflowId(retryFromIe),
    'scenario-run-retryfrom': runWorkflowId(retryFromAttempt!.executionId),
  };
  const histories = await Promise.all(
    Object.entries(recorded).map(async ([name, workflowId]) => ({
      name,
      workflowId,
      history: await history(workflowId),
    })),
  );
  expect(await replay(histories)).toEqual([]);

  if (record) {
    fs.mkdirSync(fixtures, { recursive: true });
    for (const { name, history: h } of histories) {
      // Add-only: a recorded history is the past; overwriting it would hide a break.
      if (fs.existsSync(path.join(fixtures, `${name}.history.pb`))) continue;
      // Binary protobuf: exact, and independent of JSON conventions between SDK versions.
      fs.writeFileSync(path.join(fixtures, `${name}.history.pb`), temporal.api.history.v1.History.encode(h).finish());
    }
  }
});

test('recorded histories of every workflow type replay against the current code', async () => {
  const files = fs.readdirSync(fixtures).filter((f) => f.endsWith('.history.pb'));
  const types = new Set(files.map((f) => f.replace(/-[a-z]+\.history\.pb$/, '')));
  expect([...types].sort()).toEqual([
    'alert-digest',
    'bulk-operation',
    'bulk-query-operation',
    'incomplete-execution',
    'maintenance',
    'scenario-coordinator',
    'scenario-run',
    'scenario-schedule-tick',
  ]);
  const histories = files.map((file) => ({
    workflowId: file,
    history: temporal.api.history.v1.History.decode(fs.readFileSync(path.join(fixtures, file))),
  }));
  expect(await replay(histories)).toEqual([]);
});
