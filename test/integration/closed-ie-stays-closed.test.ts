/**
 * A closed IE stays closed (issue 14): a run's park replayed after its IE was deleted or resolved
 * (a worker crash in that window, `temporal workflow reset` of the run), or a start of its workflow
 * as maintenance would, reopens nothing: the document stays closed, Temporal has no second
 * `ie-<id>` execution, and the quota is not charged again.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { waitForIeDocument, ieDocument } from '../helpers/ie-waits';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { blueprintSchema, ieWorkflowId, type IncompleteExecutionState } from '../../src/domain';
import { createIncompleteExecutionActivities, type ParkInput } from '../../activities/incomplete-executions';
import { startIncompleteExecutionWorkflow, stateFromDocument } from '../../activities/start-incomplete-execution';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;
let activities: ReturnType<typeof createIncompleteExecutionActivities>;
const SCHEDULE = [60_000];

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: SCHEDULE });
  http = await new ScriptedHttpServer().start();
  activities = createIncompleteExecutionActivities({
    store: imex.store,
    registry: imex.registry,
    client: env.client,
    taskQueue: imex.taskQueue,
    schedule: SCHEDULE,
  });
});

afterAll(async () => {
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

let n = 0;
/** What a run's park activity gets for a DataError at module 2 (the service at `path` answers 200 by then). */
async function parkInput(path: string): Promise<ParkInput> {
  http.script(path, { status: 200 });
  const blueprint = blueprintSchema.parse({
    name: 'closed',
    flow: [webhookTrigger, http.httpModule(2, path)],
    metadata: { scenario: { dlq: true } },
  });
  const scenarioId = await imex.createScenario(blueprint);
  n += 1;
  return {
    orgId: imex.orgId,
    scenarioId,
    scenarioName: 'closed',
    executionId: n.toString(16).padStart(32, 'c'),
    blueprint,
    failed: {
      failer: 2,
      bundleIndex: 0,
      context: { '1': { order: n } },
      error: { type: 'DataError', message: '[400] Bad Request', moduleId: 2 },
      outcome: 'park-manual',
    },
  };
}

async function executionsOf(ieId: string) {
  const found = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${ieWorkflowId(ieId)}'` })) found.push(wf);
  return found;
}

/** Parks the bundle again as a replay would, and starts the workflow as maintenance would. */
async function replayEverything(input: ParkInput, ieId: string) {
  const again = await activities.parkIncompleteExecution(input);
  expect(again).toEqual({ parked: { failer: 2, bundleIndex: 0, ieId, error: input.failed.error } });
  const doc = await ieDocument(imex.store, ieId);
  const started = await startIncompleteExecutionWorkflow(env.client, {
    taskQueue: imex.taskQueue,
    doc,
    defaultSchedule: SCHEDULE,
    note: 'restarted by maintenance',
  });
  expect(started).toBe('closed');
}

describe.each(['deleted', 'resolved'] as const)('an IE %s, then its park replayed', (closing) => {
  test('stays closed: no second workflow, no second charge', async () => {
    const input = await parkInput(`/closed-${closing}`);
    const first = await activities.parkIncompleteExecution(input);
    const ieId = first.parked?.ieId as string;
    await waitForIeDocument(imex.store, ieId, 'its workflow to write through', (d) => d.updatedAt > d.created);
    const charged = await imex.store.quota.usage(imex.orgId);

    if (closing === 'deleted') await imex.imex.requestIncompleteExecution(ieId, 'delete');
    else await imex.imex.requestIncompleteExecution(ieId, 'retry');
    await env.client.workflow.getHandle(ieWorkflowId(ieId)).result();
    const closed = await waitForIeDocument(imex.store, ieId, `the IE ${closing}`, (d) => d[closing]);
    const released = await imex.store.quota.usage(imex.orgId);
    expect(released.used).toBeLessThan(charged.used);

    await replayEverything(input, ieId);

    const after = await ieDocument(imex.store, ieId);
    expect({ ...after, updatedAt: null }).toEqual({ ...closed, updatedAt: null });
    expect(after.status).toBe(closing === 'deleted' ? closed.status : 'resolved');
    expect(await executionsOf(ieId)).toHaveLength(1);
    expect((await imex.store.quota.usage(imex.orgId)).used).toBe(released.used);
    expect(await imex.store.quota.held(imex.orgId, ieId)).toBe(0);
  });
});

test('a workflow started directly for a closed IE ends at once and writes nothing', async () => {
  const input = await parkInput('/closed-direct');
  const ieId = (await activities.parkIncompleteExecution(input)).parked?.ieId as string;
  await waitForIeDocument(imex.store, ieId, 'its workflow to write through', (d) => d.updatedAt > d.created);
  const open = await ieDocument(imex.store, ieId);
  await imex.imex.requestIncompleteExecution(ieId, 'delete');
  await env.client.workflow.getHandle(ieWorkflowId(ieId)).result();
  const tombstone = await ieDocument(imex.store, ieId);

  // As an older imex, or an operator, would: from the document as it was while open.
  const handle = await env.client.workflow.start('incompleteExecution', {
    taskQueue: imex.taskQueue,
    workflowId: ieWorkflowId(ieId),
    args: [{ state: stateFromDocument(open), schedule: SCHEDULE }],
  });
  const final = (await handle.result()) as IncompleteExecutionState;
  expect(final).toMatchObject({ deleted: true, retry: false });
  const after = await ieDocument(imex.store, ieId);
  expect({ ...after, updatedAt: null }).toEqual({ ...tombstone, updatedAt: null });
  expect(after).toMatchObject({ deleted: true });
  await waitFor(
    'both executions in visibility',
    async () => ((await executionsOf(ieId)).length === 2 ? true : undefined),
    {
      timeoutMs: 10_000,
    },
  );
});
