/**
 * IML end to end on the real servers: a Make-shaped export whose mappers and filters use more
 * than 25 distinct functions runs as Make's would, and a function that fails on the run's data
 * (Make's DataError) parks an incomplete execution for a person, whose bundles and resolution
 * behave as for any other DataError.
 */
import { createHash } from 'node:crypto';
import { useImexStack } from '../helpers/imex-stack';
import { waitForIeDocument } from '../helpers/ie-waits';
import { webhookTrigger } from '../helpers/blueprints';

const stack = useImexStack();

const order = {
  name: '  ada LOVELACE ',
  email: 'ADA@Example.com',
  when: '2026-03-05',
  due: 'not a date',
  tags: 'x,y,x',
  amount: '1 234,50',
  items: [
    { sku: 'b', qty: 2, price: 3.5 },
    { sku: 'a', qty: 1, price: 10 },
    { sku: 'b', qty: 1, price: 3.5 },
  ],
};

/** Form fields of module 2, each an IML template, with what Make would send. */
const fields: [name: string, template: string, expected: string | RegExp][] = [
  ['name', '{{startcase(lower(trim(1.name)))}}', 'Ada Lovelace'],
  ['email', '{{lower(1.email)}}', 'ada@example.com'],
  ['domain', '{{substring(lower(1.email); indexOf(1.email; "@") + 1)}}', 'example.com'],
  ['skus', '{{join(sort(deduplicate(map(1.items; "sku"))); "|")}}', 'a|b'],
  ['total', '{{formatNumber(sum(map(1.items; "price")); 2; "."; ",")}}', '17.00'],
  ['maxPrice', '{{max(map(1.items; "price"))}}', '10'],
  ['avgQty', '{{round(average(map(1.items; "qty")) * 100) / 100}}', '1.33'],
  ['amount', '{{parseNumber(1.amount; ",") * 2}}', '2469'],
  ['due', '{{formatDate(addDays(parseDate(1.when; "YYYY-MM-DD"); 30); "DD.MM.YYYY")}}', '04.04.2026'],
  ['monthStart', '{{formatDate(setDate(1.when; 1); "YYYY-MM-DD")}}', '2026-03-01'],
  ['weekday', '{{formatDate(1.when; "dddd")}}', 'Thursday'],
  ['tagCount', '{{length(deduplicate(split(1.tags; ",")))}}', '2'],
  ['ends', '{{get(first(1.items); "sku")}}-{{get(last(1.items); "sku")}}', 'b-b'],
  ['size', '{{if(length(1.items) > 2; "big"; "small")}}', 'big'],
  ['second', '{{switch(get(1.items; "2.sku"); "a"; "first"; "b"; "second"; "none")}}', 'first'],
  ['nick', '{{ifempty(1.nick; "anon")}}', 'anon'],
  ['b64', '{{base64(lower(trim(1.name)))}}', Buffer.from('ada lovelace').toString('base64')],
  ['hash', '{{sha256(1.email)}}', createHash('sha256').update('ADA@Example.com').digest('hex')],
  ['url', '{{encodeURL(trim(1.name))}}', 'ada%20LOVELACE'],
  ['reversed', '{{join(reverse(map(1.items; "qty")); ",")}}', '1,1,2'],
  ['sliced', '{{join(slice(map(1.items; "sku"); 1); "")}}', 'ab'],
  ['rounding', '{{abs(-2) + ceil(1.2) + floor(1.8)}}', '5'],
  ['merged', '{{length(merge(1.items; add(emptyarray; 1; 2)))}}', '5'],
  ['keys', '{{join(keys(first(1.items)); ",")}}', 'sku,qty,price'],
  ['spaced', '{{replace(1.tags; "/,/g"; space)}}', 'x y x'],
  ['hasAt', '{{contains(1.email; "@")}}', 'true'],
  ['cap', '{{capitalize(lower(1.email))}}', 'Ada@example.com'],
  ['shout', '{{upper(trim(1.name))}}', 'ADA LOVELACE'],
  ['minQty', '{{min(map(1.items; "qty"))}}', '1'],
  ['picked', '{{toString(pick(first(1.items); "sku"))}}', '{"sku":"b"}'],
  ['distinctSkus', '{{length(distinct(1.items; "sku"))}}', '2'],
  ['omitted', '{{join(keys(omit(first(1.items); "price")); ",")}}', 'sku,qty'],
  ['third', '{{trunc(10 / 3; 2)}}', '3.33'],
  ['median', '{{median(map(1.items; "price"))}}', '3.5'],
  ['year', '{{formatDate(now; "YYYY")}}', /^\d{4}$/],
  ['id', '{{uuid}}', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
];

function formModule(id: number, path: string) {
  return stack.http.httpModule(id, path, {
    bodyType: 'x_www_form_urlencoded',
    formFields: [
      ...fields.map(([key, value]) => ({ key, value })),
      { key: 'scenario', value: '{{var.scenario.id}}' },
      { key: 'execution', value: '{{executionId}}' },
    ],
  });
}

/** Filters with functions: one the workflow evaluates, one (md5) that needs the activity's crypto. */
const filterOf = (conditions: unknown[]) => ({ name: 'iml', conditions: [conditions] });
const emailHash = createHash('md5').update('ada@example.com').digest('hex');

test('a Make-shaped export whose mappers and filters use more than 25 functions runs end to end', async () => {
  stack.http.script('/iml', { status: 200 });
  const step = formModule(2, '/iml');
  const flow = [
    webhookTrigger,
    {
      ...step,
      filter: filterOf([
        { a: '{{length(1.items)}}', o: 'number:greater', b: '{{1 + 1}}' },
        { a: '{{md5(lower(1.email))}}', o: 'text:equal', b: emailHash },
      ]),
    },
  ];
  const scenarioId = await stack.imex.createScenario({
    name: 'iml export',
    flow,
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({ orgId: stack.imex.orgId, scenarioId, data: order });
  const result = await stack.imex.imex.scenarioRunResult(executionId);
  expect(result).toMatchObject({ status: 'success', operations: 2, parked: [], notes: [] });

  const sent = new URLSearchParams(stack.http.requestsTo('/iml').at(-1)?.body ?? '');
  for (const [key, , expected] of fields) {
    if (expected instanceof RegExp) expect(sent.get(key)).toMatch(expected);
    else expect([key, sent.get(key)]).toEqual([key, expected]);
  }
  expect(sent.get('scenario')).toBe(String(scenarioId));
  expect(sent.get('execution')).toBe(executionId);
  const used = new Set(fields.flatMap(([, template]) => [...template.matchAll(/([A-Za-z0-9]+)\(/g)].map((m) => m[1])));
  expect(used.size).toBeGreaterThanOrEqual(25);
});

test('a filter whose function fails does not pass, and the run says why', async () => {
  stack.http.script('/filtered', { status: 200 });
  const flow = [
    webhookTrigger,
    {
      ...stack.http.httpModule(2, '/filtered'),
      filter: filterOf([{ a: '{{parseDate(1.due; "YYYY-MM-DD")}}', o: 'exist' }]),
    },
  ];
  const scenarioId = await stack.imex.createScenario({
    name: 'iml filter',
    flow,
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({ orgId: stack.imex.orgId, scenarioId, data: order });
  const result = await stack.imex.imex.scenarioRunResult(executionId);
  expect(result).toMatchObject({ status: 'success', operations: 1, parked: [] });
  expect(result.notes).toEqual([
    expect.stringContaining(
      "filter of module 2 did not pass: Failed to map 'conditions.0.0.a': Function 'parseDate' finished with error!",
    ),
  ]);
  expect(stack.http.count('/filtered')).toBe(0);
});

test('a function that fails on the data is a DataError: an IE for a person, resolved with a fixed mapping', async () => {
  stack.http.script('/before', { status: 200 });
  stack.http.script('/after', { status: 200 });
  const failing = stack.http.httpModule(3, '/after', { data: '{{parseDate(1.due; "YYYY-MM-DD")}}' });
  // The workflow evaluates this filter itself (inline bundles, no hash): time zones work in its sandbox too.
  const before = {
    ...stack.http.httpModule(2, '/before', { data: '{{lower(1.email)}}' }),
    filter: filterOf([
      { a: '{{formatDate(1.when; "dddd HH:mm"; "Europe/Prague")}}', o: 'text:equal', b: 'Thursday 01:00' },
    ]),
  };
  const flow = [webhookTrigger, before, failing];
  const scenarioId = await stack.imex.createScenario({
    name: 'iml data error',
    flow,
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({ orgId: stack.imex.orgId, scenarioId, data: order });
  const result = await stack.imex.imex.scenarioRunResult(executionId);
  expect(result).toMatchObject({ status: 'warning', parked: [{ failer: 3, bundleIndex: 0 }] });
  const ieId = result.parked[0]?.ieId as string;

  const waiting = await waitForIeDocument(
    stack.imex.store,
    ieId,
    'the IE to wait for a person',
    (d) => d.status === 'unresolved',
  );
  expect(waiting).toMatchObject({
    retry: false,
    attempts: 0,
    failer: 3,
    error: {
      type: 'DataError',
      message:
        "Failed to map 'data': Function 'parseDate' finished with error! 'not a date' is not a valid date for the format 'YYYY-MM-DD'.",
    },
  });
  expect(Object.keys(JSON.parse(waiting.context ?? '{}') as object).sort()).toEqual(['1', '2']);
  expect(stack.http.count('/after')).toBe(0);

  const fixed = {
    name: 'iml data error',
    flow: [
      flow[0],
      flow[1],
      {
        ...failing,
        mapper: {
          ...failing.mapper,
          data: '{{formatDate(ifempty(parseDate(1.when; "YYYY-MM-DD"); now); "DD.MM.YYYY")}}',
        },
      },
    ],
    metadata: { scenario: { dlq: true } },
  };
  await stack.imex.imex.requestIncompleteExecution(ieId, 'resolve', { blueprint: JSON.stringify(fixed) });
  const resolved = await waitForIeDocument(stack.imex.store, ieId, 'the IE to resolve', (d) => d.resolved);
  expect(resolved.attempts).toBe(1);
  expect(stack.http.requestsTo('/after').at(-1)?.body).toBe('05.03.2026');
  expect(stack.http.count('/before')).toBe(1); // the modules before the failed one never run again
});

test("a module's mapper whose regular expression backtracks without end is stopped at the time bound: a DataError IE, and the worker goes on", async () => {
  stack.http.script('/runaway', { status: 200 });
  stack.http.script('/after-runaway', { status: 200 });
  // Hours of backtracking on this text without the bound (src/modules/time-bound.ts); 10 s with it.
  const runaway = stack.http.httpModule(2, '/runaway', { data: '{{replace(1.text; /^(a+)+$/; "x")}}' });
  const scenarioId = await stack.imex.createScenario({
    name: 'iml runaway regex',
    flow: [webhookTrigger, runaway],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId,
    data: { text: `${'a'.repeat(40)}b` },
  });
  const result = await stack.imex.imex.scenarioRunResult(executionId);
  expect(result).toMatchObject({ status: 'warning', parked: [{ failer: 2, bundleIndex: 0 }] });
  const ie = await waitForIeDocument(
    stack.imex.store,
    result.parked[0]?.ieId as string,
    'the IE to wait for a person',
    (d) => d.status === 'unresolved',
  );
  expect(ie).toMatchObject({ retry: false, error: { type: 'DataError' } });
  expect(ie.error?.message).toMatch(/mapping took longer than 10 s and was stopped \(a regular expression/);
  expect(stack.http.count('/runaway')).toBe(0);

  // The same worker runs the next scenario as ever.
  const next = await stack.imex.createScenario({
    name: 'after the runaway',
    flow: [webhookTrigger, stack.http.httpModule(2, '/after-runaway', { data: '{{1.text}}' })],
    metadata: { scenario: { dlq: true } },
  });
  const after = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId: next,
    data: { text: 'ok' },
  });
  expect(await stack.imex.imex.scenarioRunResult(after.executionId)).toMatchObject({ status: 'success' });
}, 120_000);
