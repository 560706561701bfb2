/**
 * `util:FunctionSleep` on a real Temporal server: the run waits on a durable workflow timer (the
 * history shows the timer and no activity for the sleep), then goes on; a delay outside 1–300 s
 * is a DataError that parks an IE like any module's.
 */
import { temporal } from '@temporalio/proto';
import { useImexStack } from '../helpers/imex-stack';
import { webhookTrigger } from '../helpers/blueprints';
import { runWorkflowId } from '../../src/domain';

const EventType = temporal.api.enums.v1.EventType;

const stack = useImexStack();

const sleepModule = (duration: unknown) => ({
  id: 2,
  module: 'util:FunctionSleep',
  version: 1,
  parameters: {},
  mapper: { duration },
});

test('sleeps on a workflow timer, not in an activity, then goes on', async () => {
  const scenarioId = await stack.imex.createScenario({
    name: 'sleep',
    flow: [
      webhookTrigger,
      sleepModule('{{1.seconds}}'),
      stack.http.httpModule(3, '/after-sleep', { data: '{{1.seconds}}' }),
    ],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId,
    data: { seconds: 1 },
  });
  const result = await stack.imex.imex.scenarioRunResult(executionId);
  expect(result).toMatchObject({ status: 'success', operations: 3 });
  expect(stack.http.requestsTo('/after-sleep').map((r) => r.body)).toEqual(['1']);

  const history = await stack.env.client.workflow.getHandle(runWorkflowId(executionId)).fetchHistory();
  const timers = (history.events ?? []).filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
  expect(timers.map((e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds))).toContain(1);
  const activitySummaries = (history.events ?? [])
    .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
  // The trigger and the HTTP module are activities; the sleep is not.
  expect(activitySummaries.filter((name) => name === 'runModule')).toHaveLength(2);
});

test('a delay outside 1 to 300 seconds parks the bundle with a DataError naming the field', async () => {
  const scenarioId = await stack.imex.createScenario({
    name: 'sleep too long',
    flow: [webhookTrigger, sleepModule('{{1.seconds}}'), stack.http.httpModule(3, '/never')],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId,
    data: { seconds: 301 },
  });
  const result = await stack.imex.imex.scenarioRunResult(executionId);
  expect(result.status).toBe('warning');
  expect(result.parked).toEqual([
    expect.objectContaining({
      failer: 2,
      error: expect.objectContaining({ type: 'DataError', message: expect.stringContaining('mapper.duration') }),
    }),
  ]);
  expect(stack.http.count('/never')).toBe(0);
});
