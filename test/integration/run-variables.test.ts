/**
 * Make's variables and Increment on real servers: Get variable reads what a Set variable set
 * earlier in the run (on another route too), Increment counts per operation, and an attempt of an
 * IE sees the variables and the count stored on its bundle's path (docs/modules.md, "Tools").
 */
import { useImexStack } from '../helpers/imex-stack';
import { waitForIeDocument } from '../helpers/ie-waits';
import { webhookTrigger } from '../helpers/blueprints';

const stack = useImexStack({ schedule: [60_000] });

const setVariable = (id: number, value: string) => ({
  id,
  module: 'util:SetVariable2',
  version: 1,
  parameters: {},
  mapper: { name: 'v', scope: 'execution', value },
});
const getVariable = (id: number) => ({
  id,
  module: 'util:GetVariable2',
  version: 1,
  parameters: {},
  mapper: { name: 'v' },
});

test('an attempt sees the variable and the count of its bundle, and nothing before it runs again', async () => {
  // webhook → 2 set v → 3 iterator → 4 increment → 5 per item (b fails once) → 6 get v → 7 report
  stack.http.script('/vars/item/b', { status: 400 }, { status: 200 });
  const scenarioId = await stack.imex.createScenario({
    name: 'variables',
    flow: [
      webhookTrigger,
      setVariable(2, '{{1.v}}'),
      { id: 3, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } },
      { id: 4, module: 'util:FunctionIncrement', version: 1, parameters: { reset: 'execution' }, mapper: {} },
      stack.http.httpModule(5, '/vars/item', { url: `${stack.http.url('/vars/item/')}{{3.value}}` }),
      getVariable(6),
      stack.http.httpModule(7, '/vars/report', { data: '{{6.v}}-{{3.value}}-{{4.i}}' }),
    ],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId,
    data: { v: 'x', items: ['a', 'b', 'c'] },
  });
  const result = await stack.imex.imex.scenarioRunResult(executionId);
  expect(result.parked.map((p) => p.failer)).toEqual([5]);
  expect(stack.http.requestsTo('/vars/report').map((r) => r.body)).toEqual(['x-a-1', 'x-c-3']);

  const ieId = result.parked[0]?.ieId as string;
  await waitForIeDocument(stack.imex.store, ieId, 'the IE to wait for a person', (d) => d.status === 'unresolved');
  await stack.imex.imex.requestIncompleteExecution(ieId, 'retry', { requestId: 'vars-retry' });
  await waitForIeDocument(stack.imex.store, ieId, 'the IE to be resolved', (d) => d.status === 'resolved');
  expect(stack.http.requestsTo('/vars/report').map((r) => r.body)).toEqual(['x-a-1', 'x-c-3', 'x-b-2']);
  expect(['a', 'b', 'c'].map((sku) => stack.http.count(`/vars/item/${sku}`))).toEqual([1, 2, 1]);
});

test('a Get variable on a later route reads what a Set on an earlier route set', async () => {
  const scenarioId = await stack.imex.createScenario({
    name: 'variables across routes',
    flow: [
      webhookTrigger,
      {
        id: 2,
        module: 'builtin:BasicRouter',
        version: 1,
        routes: [
          { flow: [setVariable(3, '{{1.v}}')] },
          { flow: [getVariable(4), stack.http.httpModule(5, '/vars/route', { data: '{{4.v}}' })] },
        ],
      },
    ],
    metadata: { scenario: {} },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId,
    data: { v: 'routed' },
  });
  expect((await stack.imex.imex.scenarioRunResult(executionId)).status).toBe('success');
  expect(stack.http.requestsTo('/vars/route').map((r) => r.body)).toEqual(['routed']);
});
