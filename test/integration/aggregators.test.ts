/**
 * Aggregators on real servers (issue 18): the run collects every bundle of the source module's
 * scope and aggregates them; an IE inside the scope and an IE after the aggregator are each
 * retried to resolved, and a counting HTTP server proves that no module before a failed one ran
 * again and no bundle was aggregated twice (docs/incomplete-executions.md, "Aggregators").
 */
import { useImexStack } from '../helpers/imex-stack';
import { waitForIeDocument } from '../helpers/ie-waits';
import { webhookTrigger } from '../helpers/blueprints';

const stack = useImexStack({ schedule: [60_000] });

const iterator = { id: 2, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } };

async function run(name: string, flow: unknown[], data: unknown) {
  const scenarioId = await stack.imex.createScenario({ name, flow, metadata: { scenario: { dlq: true } } });
  const { executionId } = await stack.imex.imex.startScenarioRun({ orgId: stack.imex.orgId, scenarioId, data });
  return { scenarioId, result: await stack.imex.imex.scenarioRunResult(executionId) };
}

async function retryToResolved(ieId: string, requestId: string) {
  await waitForIeDocument(stack.imex.store, ieId, 'the IE to wait for a person', (d) => d.status === 'unresolved');
  await stack.imex.imex.requestIncompleteExecution(ieId, 'retry', { requestId });
  return waitForIeDocument(stack.imex.store, ieId, 'the IE to be resolved', (d) => d.status === 'resolved');
}

test('an IE inside the scope and one after the aggregator both resolve; nothing runs or is aggregated twice', async () => {
  // webhook → 2 iterator → 3 one request per item → 4 array aggregator of 2 → 5 one request with the SKUs
  stack.http.script('/agg/item/b', { status: 400 }, { status: 200 });
  stack.http.script('/agg/summary', { status: 400 }, { status: 200 });
  const flow = [
    webhookTrigger,
    iterator,
    stack.http.httpModule(3, '/agg/item', { url: `${stack.http.url('/agg/item/')}{{2.sku}}`, data: '{{2.sku}}' }),
    {
      id: 4,
      module: 'builtin:BasicAggregator',
      version: 1,
      parameters: { feeder: 2 },
      mapper: { sku: '{{2.sku}}', status: '{{3.statusCode}}' },
    },
    stack.http.httpModule(5, '/agg/summary', { data: '{{join(map(4.array; "sku"); ",")}}|{{1.order}}' }),
  ];
  const { scenarioId, result } = await run('aggregated', flow, {
    order: 7,
    items: [{ sku: 'a' }, { sku: 'b' }, { sku: 'c' }],
  });

  // Item b parks inside the scope; the aggregator goes on with a and c, and the summary parks after it.
  expect(result.status).toBe('warning');
  expect(result.parked.map((p) => p.failer).sort()).toEqual([3, 5]);
  const inScope = result.parked.find((p) => p.failer === 3)!.ieId as string;
  const after = result.parked.find((p) => p.failer === 5)!.ieId as string;
  const afterDoc = await waitForIeDocument(stack.imex.store, after, 'the summary IE', (d) => d.failer === 5);
  // Its bundles: the trigger's and the aggregator's; the iterator's and the scope's are not mappable after it.
  const stored = JSON.parse(afterDoc.context ?? '{}') as Record<string, unknown>;
  expect(Object.keys(stored).sort()).toEqual(['1', '4']);
  expect(stored['4']).toMatchObject({
    array: [
      { sku: 'a', status: 200 },
      { sku: 'c', status: 200 },
    ],
    __IMTAGGLENGTH__: 2,
  });

  // After the aggregator: the attempt sends the same summary; nothing before it runs again.
  await retryToResolved(after, 'agg-after');
  expect(stack.http.requestsTo('/agg/summary').map((r) => r.body)).toEqual(['a,c|7', 'a,c|7']);

  // Inside the scope: the attempt runs item b, aggregates it alone (never counted before) and goes on.
  await retryToResolved(inScope, 'agg-in-scope');
  expect(stack.http.requestsTo('/agg/summary').map((r) => r.body)).toEqual(['a,c|7', 'a,c|7', 'b|7']);
  expect(['a', 'b', 'c'].map((sku) => stack.http.count(`/agg/item/${sku}`))).toEqual([1, 2, 1]);
  expect(await stack.imex.store.incompleteExecutions.collection.countDocuments({ scenarioId, resolved: false })).toBe(
    0,
  );
});

test('group-by outputs one bundle per key in arrival order; an empty aggregation stops only with stopIfEmpty', async () => {
  const textAggregator = (flags: Record<string, unknown>) => ({
    id: 3,
    module: 'util:TextAggregator',
    version: 1,
    parameters: { feeder: 2, rowSeparator: 'other', otherRowSeparator: '+' },
    mapper: { value: '{{2.sku}}' },
    flags,
  });
  const send = stack.http.httpModule(4, '/group', { data: '{{3.__IMTKEY__}}:{{3.text}}:{{3.__IMTAGGLENGTH__}}' });
  const items = [
    { sku: 'a', kind: 'x' },
    { sku: 'b', kind: 'y' },
    { sku: 'c', kind: 'x' },
  ];
  const grouped = await run('grouped', [webhookTrigger, iterator, textAggregator({ groupBy: '{{2.kind}}' }), send], {
    items,
  });
  expect(grouped.result).toMatchObject({ status: 'success', operations: 5 });
  expect(stack.http.requestsTo('/group').map((r) => r.body)).toEqual(['x:a+c:2', 'y:b:1']);

  const empty = stack.http.httpModule(4, '/empty', { data: '[{{3.text}}]' });
  await run('empty', [webhookTrigger, iterator, textAggregator({}), empty], { items: [] });
  expect(stack.http.requestsTo('/empty').map((r) => r.body)).toEqual(['[]']);
  const stopped = await run('stopped', [webhookTrigger, iterator, textAggregator({ stopIfEmpty: true }), empty], {
    items: [],
  });
  expect(stopped.result.status).toBe('success');
  expect(stack.http.count('/empty')).toBe(1);
});

test('a failure of the aggregator itself stops the run with status error, naming the aggregator and the item', async () => {
  const flow = [
    webhookTrigger,
    iterator,
    { id: 3, module: 'util:TextAggregator', version: 1, parameters: { feeder: 2 }, mapper: { value: '{{2.value}}' } },
    stack.http.httpModule(4, '/never-aggregated'),
  ];
  // The second item is a nested array: the iterator outputs it as { value: [...] }, which is not text.
  const { scenarioId, result } = await run('bad item', flow, { items: ['ok', ['not', 'text']] });
  expect(result).toMatchObject({
    status: 'error',
    error: { moduleId: 3, type: 'DataError', message: expect.stringContaining('aggregated bundle 2: mapper.value') },
  });
  expect(stack.http.count('/never-aggregated')).toBe(0);
  expect(await stack.imex.store.incompleteExecutions.collection.countDocuments({ scenarioId })).toBe(0);
});

test('an attempt inside nested scopes closes the inner one, then the outer one, with only its own bundle', async () => {
  // webhook → 2 orders → 3 lines of an order → 4 one request per line (o1/y fails once)
  //   → 5 aggregates 3 (lines) → 6 aggregates 2 (orders) → 7 one summary request
  stack.http.script('/nested/line/o1-y', { status: 400 }, { status: 200 });
  const flow = [
    webhookTrigger,
    iterator,
    { id: 3, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{2.lines}}' } },
    stack.http.httpModule(4, '/nested/line', { url: `${stack.http.url('/nested/line/')}{{2.id}}-{{3.value}}` }),
    { id: 5, module: 'util:TextAggregator', version: 1, parameters: { feeder: 3 }, mapper: { value: '{{3.value}}' } },
    {
      id: 6,
      module: 'json:AggregateToJSON',
      version: 1,
      parameters: { feeder: 2 },
      mapper: { order: '{{2.id}}', lines: '{{5.text}}' },
    },
    stack.http.httpModule(7, '/nested/summary', { data: '{{6.json}}' }),
  ];
  const orders = [
    { id: 'o1', lines: ['x', 'y'] },
    { id: 'o2', lines: ['z'] },
  ];
  const { result } = await run('nested', flow, { items: orders });
  expect(result.parked.map((p) => p.failer)).toEqual([4]);
  expect(stack.http.requestsTo('/nested/summary').map((r) => JSON.parse(r.body) as unknown)).toEqual([
    [
      { order: 'o1', lines: 'x' },
      { order: 'o2', lines: 'z' },
    ],
  ]);

  await retryToResolved(result.parked[0]?.ieId as string, 'nested-retry');
  expect(stack.http.requestsTo('/nested/summary').map((r) => JSON.parse(r.body) as unknown)).toEqual([
    [
      { order: 'o1', lines: 'x' },
      { order: 'o2', lines: 'z' },
    ],
    [{ order: 'o1', lines: 'y' }],
  ]);
  expect(['o1-x', 'o1-y', 'o2-z'].map((line) => stack.http.count(`/nested/line/${line}`))).toEqual([1, 2, 1]);
});
