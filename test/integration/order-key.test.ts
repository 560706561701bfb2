/**
 * Ordering per business key (issue 22, point 4), on the real dev server and wire-protocol server:
 * a sequential webhook scenario with `metadata.scenario.imex.orderKey` `{{1.customerId}}` holds
 * back only the payloads of a customer whose run parked an incomplete execution, in arrival
 * order, while other customers' payloads (and the empty key's) run; once the IE is retried and
 * resolved, the held payloads run in the order they arrived. Without the key, everything waits,
 * as before. A coordinator lost between starting a run picked by key and marking its payload
 * (terminated, a worker restarted) neither drops nor doubles a payload. The coordinator's and the
 * parking run's histories replay (and are recorded as fixtures with IMEX_RECORD_HISTORIES=1).
 */
import { useImexStack } from '../helpers/imex-stack';
import { recordHistoryFixtures, replayFailures } from '../helpers/history-replay';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { coordinatorWorkflowId, runWorkflowId } from '../../src/domain';
import { hashOrderKey, type IncompleteExecutionDocument } from '../../src/store';

const stack = useImexStack();

/** A sequential webhook scenario whose module 2 calls `/<prefix>/<customerId>` with the payload's id. */
async function crmScenario(prefix: string, imexSettings: Record<string, unknown>): Promise<number> {
  const crm = stack.http.httpModule(2, `/${prefix}/{{1.customerId}}`, { data: '{"id":"{{1.id}}"}' });
  return stack.imex.createScenario({
    name: `order per key: ${prefix}`,
    flow: [webhookTrigger, crm],
    metadata: { scenario: { dlq: true, sequential: true, imex: imexSettings } },
  });
}

async function push(scenarioId: number, payload: Record<string, unknown>): Promise<string> {
  const hookId = (await stack.imex.store.scenarios.get(stack.imex.orgId, scenarioId))?.hookId as string;
  const result = await stack.imex.imex.acceptWebhook(hookId, payload);
  if (result.status !== 'accepted') throw new Error(`payload ${JSON.stringify(payload)}: ${result.status}`);
  return result.executionId;
}

/** The ids the CRM received under `prefix`, in the order they arrived (every customer). */
function idsReceived(prefix: string): string[] {
  return stack.http.requests
    .filter((r) => r.path.startsWith(`/${prefix}/`))
    .map((r) => (JSON.parse(r.body) as { id: string }).id);
}

async function openIes(scenarioId: number): Promise<IncompleteExecutionDocument[]> {
  return stack.imex.store.incompleteExecutions.list({
    orgId: stack.imex.orgId,
    scenarioId,
    status: 'unresolved',
    offset: 0,
    limit: 10,
    sortBy: 'created',
    sortDir: 'asc',
  });
}

async function successfulWebhookRuns(scenarioId: number): Promise<number> {
  const logs = await stack.imex.store.executions.listByScenario(stack.imex.orgId, scenarioId, {
    offset: 0,
    limit: 100,
  });
  return logs.filter((l) => l.trigger === 'webhook' && l.status === 'success').length;
}

/** Waits until `count` webhook runs of the scenario have succeeded. */
async function waitForSuccesses(scenarioId: number, count: number, what: string): Promise<void> {
  await waitFor(what, async () => ((await successfulWebhookRuns(scenarioId)) >= count ? true : undefined), {
    timeoutMs: 60_000,
  });
}

/** Waits until `count` payloads wait in the queue (entries are marked at the coordinator's next look). */
async function waitForQueued(scenarioId: number, count: number, what: string): Promise<void> {
  await waitFor(what, async () => ((await stack.imex.store.webhooks.queued(scenarioId)) === count ? true : undefined), {
    timeoutMs: 30_000,
  });
}

async function waitForIe(scenarioId: number): Promise<IncompleteExecutionDocument> {
  const [ie] = await waitFor(
    'the IE',
    async () => ((await openIes(scenarioId)).length ? openIes(scenarioId) : undefined),
    {
      timeoutMs: 60_000,
    },
  );
  return ie as IncompleteExecutionDocument;
}

/** Waits until the coordinator runs nothing and says it waits on incomplete executions. */
async function waitUntilHeld(scenarioId: number) {
  return waitFor(
    'the coordinator to wait on the open IE',
    async () => {
      const s = await stack.imex.imex.coordinatorState(scenarioId);
      return s?.running.length === 0 && s.blocked === 'incomplete-executions' ? s : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

const interleaved = [
  { customerId: 'A', id: 'A1' },
  { customerId: 'B', id: 'B1' },
  { customerId: 'A', id: 'A2' },
  { id: 'N1' }, // no customerId: the empty key, a key of its own
  { customerId: 'B', id: 'B2' },
  { customerId: 'C', id: 'C1' },
  { customerId: 'A', id: 'A3' },
];

test("with an order key, only the failing customer's payloads wait, in arrival order, and run once its IE resolves", async () => {
  const prefix = 'keyed';
  stack.http.script(`/${prefix}/A`, { status: 400 }); // DataError: the IE waits for a person
  const scenarioId = await crmScenario(prefix, { orderKey: '{{1.customerId}}' });
  const executions: string[] = [];
  for (const payload of interleaved) executions.push(await push(scenarioId, payload));

  // A1 parks; B1, N1, B2, C1 run past A2 and A3, in their order.
  await waitForSuccesses(scenarioId, 4, 'the other keys to run');
  const state = await waitUntilHeld(scenarioId);
  expect(state.pendingRuns).toBe(0);
  expect(idsReceived(prefix)).toEqual(['A1', 'B1', 'N1', 'B2', 'C1']);
  expect(await stack.imex.store.webhooks.queued(scenarioId)).toBe(2);
  const [ie, ...others] = await openIes(scenarioId);
  expect(others).toEqual([]);
  expect(ie).toMatchObject({ executionId: executions[0], orderKey: hashOrderKey('A') });
  // The key is derived from user data: the store keeps only its hash.
  expect(JSON.stringify(ie)).not.toContain('"A"');

  // The CRM is fixed: the retry resolves A1's IE, then A2 and A3 run, in that order, once each.
  stack.http.script(`/${prefix}/A`, { status: 200 });
  await stack.imex.imex.requestIncompleteExecution(ie?._id as string, 'retry');
  await waitForSuccesses(scenarioId, 6, 'every payload to have run');
  expect(idsReceived(prefix)).toEqual(['A1', 'B1', 'N1', 'B2', 'C1', 'A1', 'A2', 'A3']);
  await waitForQueued(scenarioId, 0, 'the queue to be drained');
  expect(await openIes(scenarioId)).toEqual([]);
  expect(await stack.imex.imex.coordinatorState(scenarioId)).toMatchObject({ blocked: null, running: [] });

  // The new shapes replay: the coordinator that picked payloads by key, and a run that parked with one.
  const histories = [
    { name: 'scenario-coordinator-orderkey', workflowId: coordinatorWorkflowId(stack.imex.taskQueue, scenarioId) },
    { name: 'scenario-run-orderkey', workflowId: runWorkflowId(executions[0] as string) },
  ];
  const fetched = await Promise.all(
    histories.map(async (h) => ({
      ...h,
      history: await stack.env.client.workflow.getHandle(h.workflowId).fetchHistory(),
    })),
  );
  expect(await replayFailures(fetched, { replayName: 'imex-replay-orderkey' })).toEqual([]);
  recordHistoryFixtures(fetched);
});

test('without an order key, every payload waits on the open IE, as before, and all run in arrival order', async () => {
  const prefix = 'unkeyed';
  stack.http.script(`/${prefix}/A`, { status: 400 });
  const scenarioId = await crmScenario(prefix, {});
  for (const payload of interleaved) await push(scenarioId, payload);

  const ie = await waitForIe(scenarioId);
  await waitUntilHeld(scenarioId);
  expect(idsReceived(prefix)).toEqual(['A1']);
  expect(await stack.imex.store.webhooks.queued(scenarioId)).toBe(6);

  stack.http.script(`/${prefix}/A`, { status: 200 });
  await stack.imex.imex.requestIncompleteExecution(ie._id, 'retry');
  await waitForSuccesses(scenarioId, 6, 'every payload to have run');
  expect(idsReceived(prefix)).toEqual(['A1', 'A1', 'B1', 'A2', 'N1', 'B2', 'C1', 'A3']);
});

test('a coordinator lost between starting a keyed run and marking its payload neither drops nor doubles one', async () => {
  const prefix = 'lost';
  stack.http.script(`/${prefix}/A`, { status: 400 });
  stack.http.script(`/${prefix}/B`, { status: 200, held: true }); // B1's run stays in progress until released
  const scenarioId = await crmScenario(prefix, { orderKey: '{{1.customerId}}' });
  await push(scenarioId, { customerId: 'A', id: 'A1' });
  const ie = await waitForIe(scenarioId);
  await push(scenarioId, { customerId: 'A', id: 'A2' });
  await push(scenarioId, { customerId: 'B', id: 'B1' });
  await waitFor('B1 to reach the CRM', async () => (idsReceived(prefix).includes('B1') ? true : undefined), {
    timeoutMs: 60_000,
  });

  // B1's run was started past A2 and its payload is not marked yet: the coordinator goes, the worker restarts.
  await stack.env.client.workflow
    .getHandle(coordinatorWorkflowId(stack.imex.taskQueue, scenarioId))
    .terminate('test: lost');
  await stack.imex.restartWorker();
  stack.http.release();
  await waitForSuccesses(scenarioId, 1, 'B1 to succeed');
  // A new payload wakes a new coordinator, which finds B1's run started and only marks it.
  await push(scenarioId, { customerId: 'C', id: 'C1' });
  await waitForSuccesses(scenarioId, 2, 'C1 to succeed');
  await waitForQueued(scenarioId, 1, "only A2 to wait, held by A1's IE");

  stack.http.script(`/${prefix}/A`, { status: 200 });
  await stack.imex.imex.requestIncompleteExecution(ie._id, 'retry');
  await waitForSuccesses(scenarioId, 3, 'A2 to succeed');
  await waitForQueued(scenarioId, 0, 'the queue to be drained');
  // B1 ran once: its module call, cut by the restart, was sent again by the retried activity
  // under the same Idempotency-Key (a service counts it once).
  const b1Keys = new Set(stack.http.requestsTo(`/${prefix}/B`).map((r) => r.headers['idempotency-key']));
  expect(b1Keys.size).toBe(1);
  const calls = idsReceived(prefix).filter((id, i, all) => id !== 'B1' || all[i - 1] !== 'B1');
  expect(calls).toEqual(['A1', 'B1', 'C1', 'A1', 'A2']);
  expect(await successfulWebhookRuns(scenarioId)).toBe(3);
});

test("an attempt's other failed bundles are parked with their IE's order key", async () => {
  const prefix = 'fanout';
  stack.http.script(`/${prefix}/gate`, { status: 400 }, { status: 200 });
  for (const sku of ['a', 'b', 'c']) stack.http.script(`/${prefix}/item/${sku}`, { status: sku === 'a' ? 200 : 400 });
  const scenarioId = await stack.imex.createScenario({
    name: 'order per key: an attempt fans out',
    flow: [
      webhookTrigger,
      stack.http.httpModule(2, `/${prefix}/gate`),
      { id: 3, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } },
      stack.http.httpModule(4, `/${prefix}/item`, { url: `${stack.http.url(`/${prefix}/item/`)}{{3.sku}}` }),
    ],
    metadata: { scenario: { dlq: true, sequential: true, imex: { orderKey: '{{1.customerId}}' } } },
  });
  await push(scenarioId, { customerId: 'K', items: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }] });
  const [ie] = await waitFor(
    'the IE',
    async () => ((await openIes(scenarioId)).length ? openIes(scenarioId) : undefined),
    {
      timeoutMs: 60_000,
    },
  );
  await stack.imex.imex.requestIncompleteExecution(ie?._id as string, 'retry');
  // The attempt fails at b (the IE moves there) and at c: c is parked as an IE of its own, with K's key.
  const docs = await waitFor(
    "the attempt's second IE",
    async () => {
      const open = await stack.imex.store.incompleteExecutions.collection
        .find({ scenarioId, deleted: false })
        .toArray();
      return open.length === 2 && open.every((d) => d.failer === 4) ? open : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(docs.map((d) => d.orderKey)).toEqual([hashOrderKey('K'), hashOrderKey('K')]);
});
