/**
 * A worker SIGKILLed in the middle of a data-store commit (docs/data-stores.md): a run stages 150
 * records (autoCommit off, so one commit at its end); the worker process is killed while the
 * records are being applied, some written and some not; another worker replays the run and runs the
 * commit again from its recorded intent. Every record is there once (version 1), none is lost.
 */
import { blueprintSchema } from '../../src/domain';
import { waitFor } from '../../src/stack/wait';
import { webhookTrigger } from '../helpers/blueprints';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { openWorkerProcesses, type WorkerProcesses } from '../helpers/worker-processes';

let env: TestEnv;
let processes: WorkerProcesses | undefined;

beforeAll(async () => {
  env = await openTestEnv();
});

afterAll(async () => {
  await processes?.close();
  await env?.close();
});

const RECORDS = 150;

test('a worker SIGKILLed mid-commit: another finishes the commit, no record lost or doubled', async () => {
  const { store, imex, startWorker } = (processes = await openWorkerProcesses(env, 'ds-kill'));

  const org = await store.organizations.create({ name: env.unique('org') });
  const dataStore = await store.dataStores.createDataStore({
    orgId: org._id,
    name: 'kill',
    datastructureId: null,
    maxSizeBytes: 1024 * 1024,
  });
  const scenario = await store.scenarios.create({
    orgId: org._id,
    name: 'data store kill',
    blueprint: blueprintSchema.parse({
      name: 'data store kill',
      flow: [
        webhookTrigger,
        { id: 2, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } },
        {
          id: 3,
          module: 'datastore:AddRecord',
          version: 1,
          parameters: { datastore: dataStore.id },
          mapper: { key: 'k{{2.value}}', data: { n: '{{2.value}}' } },
        },
      ],
      metadata: { scenario: { autoCommit: false } },
    }),
  });
  const count = () => store.dataStores.records.countDocuments({ storeId: dataStore.id });

  const first = await startWorker();
  const items = Array.from({ length: RECORDS }, (_, i) => i + 1);
  const { executionId } = await imex.startScenarioRun({ orgId: org._id, scenarioId: scenario.id, data: { items } });
  // The commit applies one record after the other: kill the worker once some, not all, are written.
  const seen = await waitFor(
    'the commit to be under way',
    async () => {
      const n = await count();
      return n > 0 && n < RECORDS ? n : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 2 },
  );
  await first.kill();
  const afterKill = await count();
  process.stderr.write(`data-store kill: worker killed with ${seen}..${afterKill} of ${RECORDS} records applied\n`);
  expect(afterKill).toBeLessThan(RECORDS);

  await startWorker();
  const result = await imex.scenarioRunResult(executionId);
  expect(result.status).toBe('success');
  const docs = await store.dataStores.records.find({ storeId: dataStore.id }).toArray();
  expect(docs).toHaveLength(RECORDS);
  expect(new Set(docs.map((d) => d.key)).size).toBe(RECORDS);
  expect(docs.every((d) => d.version === 1)).toBe(true);
  expect(await store.dataStoreTransactions.steps.countDocuments({ txnId: executionId })).toBe(0);
}, 300_000);
