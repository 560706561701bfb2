/**
 * A worker running alone (`IMEX_ROLE=worker`), as a deployment scales out: the process joins the
 * servers that already run, works the task queue, and serves only `/metrics` and `/health/*`, with
 * its own figures (a park it made) and the Temporal SDK's worker metrics.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { blueprintSchema } from '../../src/domain';
import { generateKeyEntry, parseKeyring } from '../../src/crypto/keyring';
import { freePort } from '../../src/stack/free-port';
import { waitFor } from '../../src/stack/wait';
import { createStore, ensureIndexes, type Store } from '../../src/store';
import { ImexClient } from '../../src/temporal/client';
import { imexDataConverter } from '../../src/temporal/data-converter';
import { httpSendDataModule, webhookTrigger } from '../helpers/blueprints';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { sampleValue } from './support/metrics';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '../..');
let env: TestEnv;
let store: Store;
let dataDir: string;

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'imex-worker-alone-'));
});

afterAll(async () => {
  await env?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function startWorkerProcess(vars: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      IMEX_ROLE: 'worker',
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_NAMESPACE: env.namespace,
      MONGO_URL: process.env.IMEX_TEST_MONGO_URL,
      IMEX_MONGO_DB: env.db.databaseName,
      IMEX_DATA_DIR: dataDir,
      IMEX_ENCRYPTION_KEYS: '',
      IMEX_ENCRYPTION_KEY_FILE: '',
      IMEX_LOG_LEVEL: 'warn',
      // The test's services are on loopback: allowed explicitly (docs/security.md#egress-policy).
      IMEX_EGRESS_ALLOW: 'loopback',
      ...vars,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', r));
}

test('a worker alone refuses to start with a key of its own, naming what to set', async () => {
  const { child, output } = startWorkerProcess({ IMEX_API_PORT: String(await freePort()) });
  expect(await exitCode(child)).toBe(1);
  expect(output()).toMatch(/IMEX_ENCRYPTION_KEYS: a worker running alone needs the keys the other imex processes use/);
  expect(fs.existsSync(path.join(dataDir, 'encryption-keys'))).toBe(false);
});

test('a worker alone works the task queue and serves its metrics and health, and no API', async () => {
  const keys = generateKeyEntry('shared-');
  const taskQueue = env.unique('alone');
  const port = await freePort();
  const { child, output } = startWorkerProcess({
    IMEX_ENCRYPTION_KEYS: keys,
    IMEX_TASK_QUEUE: taskQueue,
    IMEX_API_PORT: String(port),
    IMEX_RETRY_SCHEDULE: '1h',
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('the worker to start', async () => (/imex is running/.test(output()) ? true : undefined), {
      timeoutMs: 120_000,
    });
    expect(output()).toContain(`Worker on task queue ${taskQueue}`);
    expect(output()).toContain(`Metrics: ${base}/metrics`);
    expect(output()).not.toMatch(/API:|Token:/);

    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { store: { ok: true }, temporal: { ok: true }, worker: { ok: true } },
    });
    expect((await fetch(`${base}/api/v2/scenarios`)).status).toBe(404);

    // A run the worker parks (its service refuses connections) moves the worker's own figures.
    const client = new Client({
      connection: env.connection,
      namespace: env.namespace,
      dataConverter: imexDataConverter(parseKeyring(keys)),
    });
    const imex = new ImexClient({ client, store, taskQueue });
    const org = await store.organizations.ensureNamed('worker alone');
    const deadService = `http://127.0.0.1:${await freePort()}/down`;
    const scenario = await store.scenarios.create({
      orgId: org._id,
      name: 'parks at a service that is down',
      blueprint: blueprintSchema.parse({
        name: 'parks',
        flow: [webhookTrigger, httpSendDataModule(2, deadService, { data: '{"n":1}' })],
        metadata: { scenario: { dlq: true } },
      }),
    });
    const { executionId } = await imex.startScenarioRun({ orgId: org._id, scenarioId: scenario.id, data: { n: 1 } });
    const { parked } = await imex.scenarioRunResult(executionId);
    expect(parked).toHaveLength(1);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(sampleValue(metrics, 'imex_ie_parks_total', { error_type: 'ConnectionError', outcome: 'stored' })).toBe(1);
    expect(sampleValue(metrics, 'imex_runs_total', { status: 'warning' })).toBe(1);
    expect(sampleValue(metrics, 'imex_temporal_sdk_metrics_up')).toBe(1);
    expect(metrics).toMatch(/^temporal_sticky_cache_size/m);
    expect(metrics).toMatch(/^temporal_workflow_task_schedule_to_start_latency/m);
    // Store figures are the API processes' to serve: N workers would report each N times.
    expect(metrics).not.toMatch(/^imex_incomplete_executions/m);
  } finally {
    child.kill('SIGINT');
    expect(await exitCode(child)).toBe(0);
  }
});
