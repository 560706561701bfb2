/**
 * An attempt keeps every failed bundle (issue 14): when the flow after the failed module fans out
 * (an iterator) and several bundles fail again, the first failure moves the IE, each other one is
 * parked as an IE of its own (its id derived from the attempt's execution), and the good bundles
 * go on, once each. A worker restart in the middle of the attempt duplicates nothing.
 */
import { useImexStack } from '../helpers/imex-stack';
import { waitForIeDocument } from '../helpers/ie-waits';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { ieIdFor } from '../../activities/incomplete-executions';

const stack = useImexStack({ schedule: [60_000] });

const SKUS = ['a', 'b', 'c', 'd', 'e'];

/** webhook → 2 (the gate, fails first) → 3 iterator over the items → 4 one request per item. */
function fanOutFlow(prefix: string) {
  return [
    webhookTrigger,
    stack.http.httpModule(2, `/${prefix}/gate`),
    { id: 3, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } },
    stack.http.httpModule(4, `/${prefix}/item`, {
      url: `${stack.http.url(`/${prefix}/item/`)}{{3.sku}}`,
      data: '{{3.sku}}',
    }),
  ];
}

/** Parks at the gate (a DataError), scripts the items, and retries the IE: the attempt fans out. */
async function attemptOverFanOut(prefix: string, failing: string[], before?: () => void) {
  stack.http.script(`/${prefix}/gate`, { status: 400 }, { status: 200 });
  for (const sku of SKUS) stack.http.script(`/${prefix}/item/${sku}`, { status: failing.includes(sku) ? 400 : 200 });
  before?.();
  const scenarioId = await stack.imex.createScenario({
    name: `fan-out ${prefix}`,
    flow: fanOutFlow(prefix),
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId,
    data: { items: SKUS.map((sku) => ({ sku })) },
  });
  const parked = await stack.imex.imex.scenarioRunResult(executionId);
  expect(parked.parked).toHaveLength(1);
  const ieId = parked.parked[0]?.ieId as string;
  await waitForIeDocument(stack.imex.store, ieId, 'the IE to wait for a person', (d) => d.status === 'unresolved');
  await stack.imex.imex.requestIncompleteExecution(ieId, 'retry', { requestId: `${prefix}-retry` });
  return { scenarioId, ieId };
}

async function attemptExecutionId(ieId: string): Promise<string> {
  const [attempt] = await waitFor(
    'the attempt to be recorded',
    async () => {
      const attempts = await stack.imex.store.executions.listByIncompleteExecution(ieId);
      return attempts.length > 0 ? attempts : undefined;
    },
    { timeoutMs: 60_000 },
  );
  return attempt!.executionId;
}

const count = (prefix: string, sku: string) => stack.http.count(`/${prefix}/item/${sku}`);

test('an attempt over a fan-out where 3 of 5 bundles fail again: the IE moves, 2 new IEs, the good ones run once', async () => {
  const { scenarioId, ieId } = await attemptOverFanOut('fan', ['b', 'd', 'e']);
  const moved = await waitForIeDocument(
    stack.imex.store,
    ieId,
    'the IE to move to module 4',
    (d) => d.failer === 4 && d.attempts === 1 && d.status === 'unresolved',
  );
  expect(JSON.parse(moved.context ?? '{}')).toMatchObject({ '3': { sku: 'b' } });

  const attemptId = await attemptExecutionId(ieId);
  const kept = [ieIdFor(attemptId, 4, 3), ieIdFor(attemptId, 4, 4)];
  const docs = await stack.imex.store.incompleteExecutions.collection
    .find({ scenarioId, deleted: false })
    .sort({ bundleIndex: 1 })
    .toArray();
  expect(docs.map((d) => d._id).sort()).toEqual([ieId, ...kept].sort());
  for (const [i, sku] of [
    [0, 'd'],
    [1, 'e'],
  ] as const) {
    const doc = docs.find((d) => d._id === kept[i])!;
    expect(doc).toMatchObject({ executionId: attemptId, failer: 4, error: { type: 'DataError' } });
    expect(JSON.parse(doc.context ?? '{}')).toMatchObject({ '1': {}, '2': {}, '3': { sku } });
  }
  // Each new IE has its workflow, and its share of the quota.
  const holdings = await stack.imex.store.quota.holdings(stack.imex.orgId);
  for (const id of kept) {
    const doc = await waitForIeDocument(
      stack.imex.store,
      id,
      'its workflow to write through',
      (d) => d.updatedAt > d.created,
    );
    expect(holdings.get(id)).toBe(doc.size);
  }

  expect(SKUS.map((sku) => count('fan', sku))).toEqual([1, 1, 1, 1, 1]);
  expect(stack.http.count('/fan/gate')).toBe(2);
});

test('a worker restart in the middle of the attempt duplicates nothing', async () => {
  const { scenarioId, ieId } = await attemptOverFanOut('restart', ['b', 'd', 'e'], () =>
    // The last bundle is slow: the worker goes down while the attempt waits on it.
    stack.http.script('/restart/item/e', { status: 400, delayMs: 2_000 }),
  );
  await waitFor('the attempt to reach the last bundle', async () => (count('restart', 'e') > 0 ? true : undefined), {
    timeoutMs: 60_000,
  });
  await stack.imex.restartWorker();

  await waitForIeDocument(
    stack.imex.store,
    ieId,
    'the IE to move to module 4',
    (d) => d.failer === 4 && d.attempts === 1 && d.status === 'unresolved',
  );
  const attemptId = await attemptExecutionId(ieId);
  const docs = await waitFor(
    'the attempt to keep its bundles',
    async () => {
      const found = await stack.imex.store.incompleteExecutions.collection.find({ scenarioId }).toArray();
      return found.length >= 3 ? found : undefined;
    },
    { timeoutMs: 60_000 },
  );
  expect(docs.map((d) => d._id).sort()).toEqual([ieId, ieIdFor(attemptId, 4, 3), ieIdFor(attemptId, 4, 4)].sort());
  // The bundles done before the restart never ran again; the one in flight may have (at least once).
  expect(['a', 'b', 'c', 'd'].map((sku) => count('restart', sku))).toEqual([1, 1, 1, 1]);
  expect(count('restart', 'e')).toBeGreaterThanOrEqual(1);
  // One workflow per IE, whatever was replayed.
  for (const doc of docs) {
    const executions = [];
    for await (const wf of stack.env.client.workflow.list({ query: `WorkflowId = 'ie-${doc._id}'` }))
      executions.push(wf);
    expect(executions).toHaveLength(1);
  }
});

test('an attempt through a router keeps a failure on each route, and every route runs', async () => {
  stack.http.script('/route/gate', { status: 400 }, { status: 200 });
  stack.http.script('/route/a', { status: 400 });
  stack.http.script('/route/b', { status: 422 });
  stack.http.script('/route/c', { status: 200 });
  const scenarioId = await stack.imex.createScenario({
    name: 'router attempt',
    flow: [
      webhookTrigger,
      stack.http.httpModule(2, '/route/gate'),
      {
        id: 3,
        module: 'builtin:BasicRouter',
        version: 1,
        routes: [
          { flow: [stack.http.httpModule(4, '/route/a')] },
          { flow: [stack.http.httpModule(5, '/route/b')] },
          { flow: [stack.http.httpModule(6, '/route/c')] },
        ],
      },
    ],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId,
    data: { n: 1 },
  });
  const ieId = (await stack.imex.imex.scenarioRunResult(executionId)).parked[0]?.ieId as string;
  await waitForIeDocument(stack.imex.store, ieId, 'the IE to wait for a person', (d) => d.status === 'unresolved');
  await stack.imex.imex.requestIncompleteExecution(ieId, 'retry');
  await waitForIeDocument(
    stack.imex.store,
    ieId,
    'the IE to move to route 1',
    (d) => d.failer === 4 && d.attempts === 1,
  );
  const attemptId = await attemptExecutionId(ieId);
  const kept = await waitForIeDocument(
    stack.imex.store,
    ieIdFor(attemptId, 5, 0),
    'route 2 kept',
    (d) => d.failer === 5,
  );
  expect(kept).toMatchObject({ executionId: attemptId, scenarioId, error: { type: 'DataError' } });
  expect(['/route/a', '/route/b', '/route/c'].map((p) => stack.http.count(p))).toEqual([1, 1, 1]);
  expect(stack.http.count('/route/gate')).toBe(2);
  expect(await stack.imex.store.incompleteExecutions.collection.countDocuments({ scenarioId })).toBe(2);
});
