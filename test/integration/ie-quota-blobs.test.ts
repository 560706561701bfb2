/**
 * The quota counts every byte kept for an IE, blobs included: bundles over 64 KiB are stored by
 * reference (blobs), and an organization's quota must still hold them to its limit.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { waitForIeDocument } from '../helpers/ie-waits';
import { blueprintSchema } from '../../src/domain';
import { BSON } from 'mongodb';
import { blobRefsIn } from '../../src/store';
import { createMaintenanceActivities } from '../../activities/maintenance';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: [60 * 60_000] });
  http = await new ScriptedHttpServer().start();
  http.script('/bad', { status: 422 });
});

afterAll(async () => {
  if (imex) await terminateOpenWorkflows(env.client, imex.taskQueue);
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

const MB = 1024 * 1024;

async function scenarioIn(orgId: number, dataloss: boolean) {
  const scenario = await imex.store.scenarios.create({
    orgId,
    name: 'large bundles',
    blueprint: blueprintSchema.parse({
      name: 'large bundles',
      flow: [webhookTrigger, http.httpModule(2, '/bad', { data: '{{1.n}}' })],
      metadata: { scenario: { dlq: true, dataloss } },
    }),
  });
  return scenario.id;
}

async function run(orgId: number, scenarioId: number, payload: string) {
  const { executionId } = await imex.imex.startScenarioRun({ orgId, scenarioId, data: { n: 1, payload } });
  return imex.imex.scenarioRunResult(executionId);
}

/** What the store really keeps for the organization's IEs: each document and each blob it references. */
async function keptBytes(orgId: number): Promise<number> {
  const docs = await imex.store.incompleteExecutions.collection.find({ orgId }).toArray();
  let total = 0;
  for (const doc of docs) {
    total += BSON.calculateObjectSize({ blueprint: doc.blueprint, context: doc.context });
    for (const id of blobRefsIn(doc.context).keys()) {
      const manifest = await imex.store.blobs.collection.findOne({ _id: id });
      expect(manifest).not.toBeNull();
      total += (manifest as unknown as { bytes: number }).bytes;
    }
  }
  return total;
}

test('an IE whose bundle is a 100 KB blob reports a size of at least 100 KB, and the quota holds it', async () => {
  const orgId = (await imex.store.organizations.create({ name: env.unique('org'), ieQuotaBytes: 10 * MB }))._id;
  const result = await run(orgId, await scenarioIn(orgId, false), 'b'.repeat(100_000));
  const ieId = result.parked[0]?.ieId as string;
  const doc = await imex.store.incompleteExecutions.get(ieId);
  expect(doc?.context).toContain('$imexBlob');
  expect(doc?.size).toBeGreaterThanOrEqual(100_000);
  expect(doc?.size).toBeGreaterThanOrEqual(await keptBytes(orgId));
  expect((await imex.store.quota.usage(orgId)).used).toBe(doc?.size);
});

test('50 concurrent failures with 100 KB bundles never hold more than a 1 MB quota', async () => {
  const orgId = (await imex.store.organizations.create({ name: env.unique('org'), ieQuotaBytes: MB }))._id;
  const scenarioId = await scenarioIn(orgId, true);
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => run(orgId, scenarioId, `${i}:`.padEnd(100_000, 'z'))),
  );
  const stored = results.flatMap((r) => r.parked.filter((p) => p.ieId));
  const discarded = results.flatMap((r) => r.parked.filter((p) => p.discarded));
  expect(stored.length + discarded.length).toBe(50);
  // ~100 KB each: at most 10 fit in 1 MB.
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.length).toBeLessThanOrEqual(10);
  for (const d of discarded) expect(d.discarded).toMatch(/incomplete-executions storage is full/);

  const docs = await imex.store.incompleteExecutions.collection.find({ orgId }).toArray();
  expect(docs).toHaveLength(stored.length);
  for (const doc of docs) expect(doc.size).toBeGreaterThanOrEqual(100_000);
  const sizes = docs.reduce((sum, d) => sum + d.size, 0);
  expect(sizes).toBeLessThanOrEqual(MB);
  expect(await keptBytes(orgId)).toBeLessThanOrEqual(sizes);
  const usage = await imex.store.quota.usage(orgId);
  expect(usage.used).toBe(sizes);
  expect(usage.used).toBeLessThanOrEqual(MB);

  // The reconciler counts the same way: nothing to repair.
  const maintenance = createMaintenanceActivities({
    store: imex.store,
    client: env.client,
    taskQueue: imex.taskQueue,
    schedule: [60 * 60_000],
  });
  const reconciled = await maintenance.reconcileQuotas({ afterOrgId: orgId - 1, limit: 1, minHoldAgeMs: 0 });
  expect(reconciled.checked).toBe(1);
  expect(reconciled.repairs).toEqual([]);
  expect((await imex.store.quota.usage(orgId)).used).toBe(sizes);
});

test('with data loss off, a refused large bundle stops the run with the storage-full reason', async () => {
  const orgId = (await imex.store.organizations.create({ name: env.unique('org'), ieQuotaBytes: 50_000 }))._id;
  const result = await run(orgId, await scenarioIn(orgId, false), 'c'.repeat(100_000));
  expect(result.status).toBe('error');
  expect(result.error?.message).toMatch(
    /storage is full \(0 of 50000 bytes used; this incomplete execution needs \d{6,}\)/,
  );
  expect(await imex.store.incompleteExecutions.collection.countDocuments({ orgId })).toBe(0);
  expect((await imex.store.quota.usage(orgId)).used).toBe(0);
});

test('an attempt that moves on with a 100 KB bundle charges the IE its new size at once', async () => {
  const orgId = (await imex.store.organizations.create({ name: env.unique('org'), ieQuotaBytes: 10 * MB }))._id;
  // Module 2 fails once, then answers a large bundle; module 3 always fails.
  http.script('/then-large', { status: 422 }, { status: 200, body: { data: 'l'.repeat(100_000) } });
  const scenario = await imex.store.scenarios.create({
    orgId,
    name: 'grows',
    blueprint: blueprintSchema.parse({
      name: 'grows',
      flow: [
        webhookTrigger,
        http.httpModule(2, '/then-large', { data: '{{1.n}}' }),
        http.httpModule(3, '/bad', { data: '{{1.n}}' }),
      ],
      metadata: { scenario: { dlq: true } },
    }),
  });
  const result = await run(orgId, scenario.id, 'small');
  const ieId = result.parked[0]?.ieId as string;
  const parked = await waitForIeDocument(imex.store, ieId, 'parked', (d) => d.status === 'unresolved');
  expect((await imex.store.quota.usage(orgId)).used).toBe(parked.size);

  await imex.imex.requestIncompleteExecution(ieId, 'retry');
  const moved = await waitForIeDocument(
    imex.store,
    ieId,
    'moved on',
    (d) => d.attempts === 1 && d.failer === 3 && d.status === 'unresolved',
  );
  expect(moved.size).toBeGreaterThanOrEqual(100_000);
  expect((await imex.store.quota.usage(orgId)).used).toBe(moved.size);
  expect(await imex.store.quota.held(orgId, ieId)).toBe(moved.size);

  // Deleting it frees exactly what it holds now.
  await imex.imex.requestIncompleteExecution(ieId, 'delete');
  await waitForIeDocument(imex.store, ieId, 'deleted', (d) => d.deleted);
  expect((await imex.store.quota.usage(orgId)).used).toBe(0);
});
