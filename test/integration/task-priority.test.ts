/**
 * Task-queue priorities (src/domain/task-priority.ts): live runs keep the default, an IE's
 * workflow and its attempts' child runs go after them, a bulk operation after those. Read from
 * the server's description of each workflow, as the matching service sees them.
 */
import { useImexStack } from '../helpers/imex-stack';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { BULK_OPERATION_PRIORITY, ieWorkflowId, INCOMPLETE_EXECUTION_PRIORITY, runWorkflowId } from '../../src/domain';
import { bulkOperationWorkflowId } from '../../src/temporal/client';
import { stateFromDocument } from '../../activities/start-incomplete-execution';

const stack = useImexStack({ schedule: [60_000] });

async function parkOne(path: string): Promise<{ executionId: string; ieId: string; scenarioId: number }> {
  // Down for the run's three tries (it parks), then up (the attempt resolves it).
  stack.http.script(path, { status: 503 }, { status: 503 }, { status: 503 }, { status: 200 });
  const scenarioId = await stack.imex.createScenario({
    name: `priorities ${path}`,
    flow: [webhookTrigger, stack.http.httpModule(2, path, { data: '{{1.n}}' })],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId,
    data: { n: 1 },
  });
  const result = await stack.imex.imex.scenarioRunResult(executionId);
  const ieId = result.parked[0]?.ieId as string;
  expect(ieId).toEqual(expect.any(String));
  return { executionId, ieId, scenarioId };
}

/** Retries the IE and answers its attempt once it has resolved the IE. */
async function attemptOf(ieId: string) {
  await stack.imex.imex.requestIncompleteExecution(ieId, 'retry');
  const [attempt] = await waitFor(
    'the attempt to resolve the IE',
    async () => {
      const doc = await stack.imex.store.incompleteExecutions.get(ieId);
      const attempts = await stack.imex.store.executions.listByIncompleteExecution(ieId);
      return doc?.resolved && attempts.length === 1 ? attempts : undefined;
    },
    { timeoutMs: 30_000 },
  );
  return attempt!;
}

async function priorityKeyOf(workflowId: string): Promise<number | undefined> {
  return (await stack.env.client.workflow.getHandle(workflowId).describe()).priority?.priorityKey;
}

test('live runs keep the default priority; IE workflows, their attempts and bulk operations go after them', async () => {
  const { executionId, ieId, scenarioId } = await parkOne('/live');

  // A live run: the server's default (no key set).
  expect(await priorityKeyOf(runWorkflowId(executionId))).toBeFalsy();
  expect(await priorityKeyOf(ieWorkflowId(ieId))).toBe(INCOMPLETE_EXECUTION_PRIORITY.priorityKey);
  const attempt = await attemptOf(ieId);
  expect(await priorityKeyOf(runWorkflowId(attempt.executionId))).toBe(INCOMPLETE_EXECUTION_PRIORITY.priorityKey);

  const operationId = 'cd'.repeat(16);
  await stack.imex.imex.startBulkOperation({
    operationId,
    orgId: stack.imex.orgId,
    scenarioId,
    kind: 'retry',
    target: { all: true, exceptIds: [] },
  });
  expect(await priorityKeyOf(bulkOperationWorkflowId(operationId))).toBe(BULK_OPERATION_PRIORITY.priorityKey);
  await stack.env.client.workflow.getHandle(bulkOperationWorkflowId(operationId)).result();
});

test('an IE workflow started before priorities (the default) still starts its attempts below live runs', async () => {
  const { ieId } = await parkOne('/older');
  // As an IE workflow of an earlier version was started: without a priority.
  const handle = stack.env.client.workflow.getHandle(ieWorkflowId(ieId));
  await handle.terminate('replaced by one started as before priorities');
  const doc = await stack.imex.store.incompleteExecutions.get(ieId);
  await stack.env.client.workflow.start('incompleteExecution', {
    taskQueue: stack.imex.taskQueue,
    workflowId: ieWorkflowId(ieId),
    args: [{ state: stateFromDocument(doc!), schedule: [60_000] }],
  });
  expect(await priorityKeyOf(ieWorkflowId(ieId))).toBeFalsy();
  const attempt = await attemptOf(ieId);
  expect(await priorityKeyOf(runWorkflowId(attempt.executionId))).toBe(INCOMPLETE_EXECUTION_PRIORITY.priorityKey);
});
