/**
 * The organization's incomplete-execution storage quota, end to end: runs that fail when the
 * storage is full, with and without "enable data loss", and many at once.
 */
import { useImexStack } from '../helpers/imex-stack';
import { webhookTrigger } from '../helpers/blueprints';
import { blueprintSchema } from '../../src/domain';

const stack = useImexStack({ schedule: [60_000] });

beforeAll(() => {
  stack.http.script('/bad', { status: 422 });
});

const flow = () => [webhookTrigger, stack.http.httpModule(2, '/bad', { data: '{{1.payload}}' })];

async function newOrg(quotaBytes: number) {
  return (
    await stack.imex.store.organizations.create({ name: stack.env.unique('quota-org'), ieQuotaBytes: quotaBytes })
  )._id;
}

async function runIn(orgId: number, dataloss: boolean, payload: string) {
  const scenario = await stack.imex.store.scenarios.create({
    orgId,
    name: 'quota',
    blueprint: blueprintSchema.parse({
      name: 'quota',
      flow: flow(),
      metadata: { scenario: { dlq: true, dataloss } },
    }),
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({ orgId, scenarioId: scenario.id, data: { payload } });
  return { scenarioId: scenario.id, result: await stack.imex.imex.scenarioRunResult(executionId) };
}

test('a full storage ends the run with status error and deactivates the scenario (data loss off)', async () => {
  const orgId = await newOrg(1000);
  const { result, scenarioId } = await runIn(orgId, false, 'x'.repeat(2000));
  expect(result.status).toBe('error');
  expect(result.error?.message).toMatch(
    /incomplete-executions storage is full \(0 of 1000 bytes used; this incomplete execution needs \d+\)/,
  );
  const scenario = await stack.imex.store.scenarios.get(orgId, scenarioId);
  expect(scenario).toMatchObject({ isActive: false });
  expect(scenario?.deactivationReason).toMatch(/storage is full/);
  expect(await stack.imex.store.incompleteExecutions.collection.countDocuments({ orgId })).toBe(0);
});

test('with data loss on, the bundle is discarded, the run ends with a warning and the loss is logged', async () => {
  const orgId = await newOrg(1000);
  const { result, scenarioId } = await runIn(orgId, true, 'x'.repeat(2000));
  expect(result.status).toBe('warning');
  expect(result.parked[0]).toMatchObject({ failer: 2, bundleIndex: 0 });
  expect(result.parked[0]?.ieId).toBeUndefined();
  const [execution] = await stack.imex.store.executions.listByScenario(orgId, scenarioId);
  expect(execution?.notes?.[0]).toMatch(/^data loss: module 2, bundle 0 \(\d+ bytes\) was not stored/);
  expect(await stack.imex.store.incompleteExecutions.collection.countDocuments({ orgId })).toBe(0);
});

test('a raised limit takes effect at once, although parks cache the limit for a few seconds', async () => {
  const orgId = await newOrg(1000);
  // Refused on 1,000 bytes (and the limit is now cached by the worker's park activity).
  expect((await runIn(orgId, true, 'x'.repeat(2000))).result.parked[0]?.discarded).toMatch(/storage is full/);
  await stack.imex.store.organizations.setQuota(orgId, 100_000);
  // Within the cache's life: the refusal on the cached limit is checked against the current one.
  const { result } = await runIn(orgId, false, 'x'.repeat(2000));
  expect(result.status).toBe('warning');
  const ieId = result.parked[0]?.ieId as string;
  expect((await stack.imex.store.quota.usage(orgId)).used).toBe(
    (await stack.imex.store.incompleteExecutions.get(ieId))?.size,
  );
});

test('deleting an IE releases its share of the quota', async () => {
  const orgId = await newOrg(10_000);
  const { result } = await runIn(orgId, false, 'y'.repeat(100));
  const ieId = result.parked[0]?.ieId as string;
  const size = (await stack.imex.store.incompleteExecutions.get(ieId))?.size as number;
  expect((await stack.imex.store.quota.usage(orgId)).used).toBe(size);
  await stack.imex.imex.requestIncompleteExecution(ieId, 'delete');
  expect((await stack.imex.store.quota.usage(orgId)).used).toBe(0);
});

test('50 concurrent failures against a limit that fits only some: never over the limit, none lost', async () => {
  const orgId = await newOrg(12_000);
  const runs = await Promise.all(Array.from({ length: 50 }, (_, i) => runIn(orgId, true, `${i}:`.padEnd(900, 'z'))));
  const stored = runs.flatMap((r) => r.result.parked.filter((p) => p.ieId));
  const discarded = runs.flatMap((r) => r.result.parked.filter((p) => p.discarded));
  // Every failure is accounted for: stored, or discarded with the reason.
  expect(stored.length + discarded.length).toBe(50);
  expect(stored.length).toBeGreaterThan(0);
  expect(discarded.length).toBeGreaterThan(0);
  const docs = await stack.imex.store.incompleteExecutions.collection.find({ orgId }).toArray();
  expect(docs).toHaveLength(stored.length);
  const total = docs.reduce((sum, d) => sum + d.size, 0);
  expect(total).toBeLessThanOrEqual(12_000);
  expect((await stack.imex.store.quota.usage(orgId)).used).toBe(total);
});
