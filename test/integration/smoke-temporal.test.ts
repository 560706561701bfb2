import { Worker } from '@temporalio/worker';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { waitFor } from '../../src/stack/wait';
import { finish, greetWorkflow, searchAttributesWorkflow } from '../fixtures/smoke-workflows';
import * as activities from '../fixtures/smoke-activities';

let env: TestEnv;
let worker: Worker;
let running: Promise<void>;
let taskQueue: string;

beforeAll(async () => {
  env = await openTestEnv();
  taskQueue = env.unique('smoke');
  worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/smoke-workflows'),
    activities,
  });
  running = worker.run();
});

afterAll(async () => {
  worker.shutdown();
  await running;
  await env.close();
});

test('a workflow with an activity completes on the dev server and its history reads back', async () => {
  const handle = await env.client.workflow.start(greetWorkflow, {
    taskQueue,
    workflowId: env.unique('greet'),
    args: ['imex'],
  });
  expect(await handle.result()).toBe('Hello, imex!');
  const history = await handle.fetchHistory();
  // The activity was scheduled and completed, and the workflow completed: a real server ran it.
  const names = (history.events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('Attributes')));
  expect(names[0]).toBe('workflowExecutionStartedEventAttributes');
  expect(names).toContain('activityTaskScheduledEventAttributes');
  expect(names).toContain('activityTaskCompletedEventAttributes');
  expect(names).toContain('workflowExecutionCompletedEventAttributes');
});

test('a workflow that upserts the imex search attributes is found by a list query on them', async () => {
  const orgId = env.unique('org');
  const handle = await env.client.workflow.start(searchAttributesWorkflow, {
    taskQueue,
    workflowId: env.unique('sa'),
    args: [orgId, new Date(Date.now() + 3_600_000).toISOString()],
  });
  const query =
    `ImexOrgId = '${orgId}' AND ImexScenarioId = '42' AND ImexStatus = 'pending' AND ImexErrorType = 'ConnectionError' ` +
    `AND ImexFailer = 3 AND ImexAttempts = 1 AND ImexNextRetryAt > '${new Date().toISOString()}'`;
  const found = await waitFor(
    'the workflow to be listed by its search attributes',
    async () => {
      const ids: string[] = [];
      for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids.length > 0 ? ids : undefined;
    },
    { timeoutMs: 20_000 },
  );
  expect(found).toEqual([handle.workflowId]);

  const other = [];
  for await (const wf of env.client.workflow.list({ query: `ImexOrgId = '${orgId}-other'` })) other.push(wf);
  expect(other).toEqual([]);

  await handle.signal(finish);
  expect(await handle.result()).toBe(orgId);
});
