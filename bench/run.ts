/**
 * `npm run bench [-- --quick] [-- --out FILE]`: imex's cost against bare Temporal in the same
 * run, and how it grows with parked work. Brings up its own local stack (Temporal dev server in
 * memory, FerretDB), a worker process with an imex worker and the bare baseline's worker, and the
 * real API; prints a table and writes the JSON (default bench-results.json).
 *
 * Phases, one file each: run-overhead.ts, codec-cost.ts, park-cost.ts, webhook-burst.ts,
 * outage-storm.ts, growth.ts, payloads.ts, mapping-eval.ts, bulk-query.ts. `--only run-overhead`,
 * `--only webhook-burst`, `--only outage-storm`, `--only codec-cost`, `--only bulk-query` or `--only
 * mapping-eval` (which needs no stack) runs that phase alone. docs/benchmark.md explains
 * the figures.
 */
import crypto from 'node:crypto';
import { formatBulkQuery, measureBulkQuery } from './bulk-query';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../src/config';
import { startLocalStack, type LocalStack } from '../src/stack/local-stack';
import { openStore, type Store } from '../src/store';
import { ImexClient } from '../src/temporal/client';
import { parseKeyring } from '../src/crypto/keyring';
import { imexDataConverter } from '../src/temporal/data-converter';
import { formatCodecCost, measureCodecCost } from './codec-cost';
import type { BenchContext } from './context';
import { measureGrowth } from './growth';
import { formatMappingEval, measureMappingEval } from './mapping-eval';
import { parseBenchArgs, type SelectablePhase } from './options';
import { formatOutageStorm, measureOutageStorm, outageStormGoals } from './outage-storm';
import { measureParkCost } from './park-cost';
import { CallRecorder } from './instrument';
import { measurePayloads } from './payloads';
import { buildResults, formatTable, machineNow } from './report';
import { formatRunOverhead, measureRunOverhead } from './run-overhead';
import { formatWebhookBurst, measureWebhookBurst } from './webhook-burst';
import { BenchWorker } from './worker-handle';

const NAMESPACE = 'default';

async function main(): Promise<void> {
  const options = parseBenchArgs(process.argv.slice(2));
  const started = Date.now();
  const loadAtStart = os.loadavg();
  const out = path.resolve(options.out);
  const partial: Record<string, unknown> = {};
  const say = (line: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);

  // Always a stack of its own, in memory: figures never depend on (or touch) someone's data.
  const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: undefined, MONGO_URL: undefined });
  let stack: LocalStack | undefined;
  let store: Store | undefined;
  let connection: Connection | undefined;
  let worker: BenchWorker | undefined;
  const onSignal = () => {
    worker?.kill();
    stack?.stopSync();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (options.only === 'mapping-eval') {
    const mappingEval = measureMappingEval(options.quick);
    const results = { quick: options.quick, only: options.only, machine: machineNow(loadAtStart), mappingEval };
    fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\n${formatMappingEval(mappingEval)}\n\nresults: ${out}\n`);
    return;
  }
  try {
    say(options.quick ? 'quick run' : 'full run');
    stack = await startLocalStack({ config, mode: 'ephemeral', headless: true, progress: say });
    say(`stack up: Temporal ${stack.temporalAddress}, store ${stack.mongoUrl}`);
    const dbName = 'imex-bench';
    store = await openStore(stack.mongoUrl, dbName);
    connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({ connection, namespace: NAMESPACE });
    const imexTaskQueue = 'imex-bench';
    const bareTaskQueue = 'bare-bench';
    // The codec phase's worker and client encrypt with a key of the run's own.
    const codec = { taskQueue: 'imex-bench-codec', keys: `bench:${crypto.randomBytes(32).toString('base64')}` };
    const codecImex = new ImexClient({
      client: new Client({
        connection,
        namespace: NAMESPACE,
        dataConverter: imexDataConverter(parseKeyring(codec.keys)),
      }),
      store,
      taskQueue: codec.taskQueue,
    });
    worker = await BenchWorker.start({
      temporalAddress: stack.temporalAddress,
      namespace: NAMESPACE,
      mongoUrl: stack.mongoUrl,
      dbName,
      imexTaskQueue,
      bareTaskQueue,
      settings: options.worker,
      codec,
    });
    say(
      `worker process ${worker.pid} ready (bundling took ${worker.bundlingMs} ms, ${Math.round(worker.bundleBytes / 1024)} KB)`,
    );
    const workerStartRssMb = (await worker.memory()).rss / 2 ** 20;
    const org = await store.organizations.create({ name: 'bench' });
    const clientCalls = new CallRecorder();
    const ctx: BenchContext = {
      options,
      client,
      // The client side of runs, its store and Temporal calls counted (the run overhead's profile).
      imex: new ImexClient({
        client: clientCalls.client(client),
        store: clientCalls.store(store),
        taskQueue: imexTaskQueue,
      }),
      store,
      worker,
      stackProcesses: stack.started,
      clientCalls,
      imexTaskQueue,
      bareTaskQueue,
      orgId: org._id,
      workerStartRssMb,
      sampled: new Map(),
      say,
      checkpoint: (key, value) => {
        partial[key] = value;
        fs.writeFileSync(out, `${JSON.stringify({ partial: true, ...partial }, null, 2)}\n`);
      },
    };

    // A phase run alone: its figures, the machine, and its table.
    const alone: Partial<Record<SelectablePhase, () => Promise<{ key: string; figures: object; table: string }>>> = {
      'webhook-burst': async () => {
        const figures = await measureWebhookBurst(ctx);
        return { key: 'webhookBurst', figures, table: formatWebhookBurst(figures) };
      },
      'outage-storm': async () => {
        const figures = await measureOutageStorm(ctx);
        return {
          key: 'outageStorm',
          figures: { goals: outageStormGoals(figures), outageStorm: figures },
          table: formatOutageStorm(figures),
        };
      },
      'run-overhead': async () => {
        const figures = await measureRunOverhead(ctx);
        return { key: 'runOverhead', figures, table: formatRunOverhead(figures) };
      },
      'codec-cost': async () => {
        const figures = await measureCodecCost(ctx, codecImex);
        return { key: 'codecCost', figures, table: formatCodecCost(figures) };
      },
      'bulk-query': async () => {
        const figures = await measureBulkQuery(ctx);
        return { key: 'bulkQuery', figures, table: formatBulkQuery(figures) };
      },
    };
    const only = options.only ? alone[options.only] : undefined;
    if (only) {
      const { key, figures, table } = await only();
      const machine = machineNow(loadAtStart);
      // The storm's figures come with its goals, side by side, as before.
      const body = key === 'outageStorm' ? figures : { [key]: figures };
      const results = { quick: options.quick, only: options.only, machine, ...body };
      fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
      process.stdout.write(`\n${table}\n\nresults: ${out}\n`);
      return;
    }
    const overhead = await measureRunOverhead(ctx);
    ctx.checkpoint('runOverhead', overhead);
    const codecCost = await measureCodecCost(ctx, codecImex);
    ctx.checkpoint('codecCost', codecCost);
    const park = await measureParkCost(ctx);
    ctx.checkpoint('parkCost', park);
    const webhookBurst = await measureWebhookBurst(ctx);
    ctx.checkpoint('webhookBurst', webhookBurst);
    const outageStorm = await measureOutageStorm(ctx);
    ctx.checkpoint('outageStorm', outageStorm);
    const bulkQuery = await measureBulkQuery(ctx);
    ctx.checkpoint('bulkQuery', bulkQuery);
    const growth = await measureGrowth(ctx);
    say('payloads: scanning sampled histories');
    const payloads = await measurePayloads(ctx);

    say('mapping-eval: IML in process');
    const mappingEval = measureMappingEval(options.quick);
    const results = buildResults({
      options,
      machine: machineNow(loadAtStart),
      durationSec: Math.round((Date.now() - started) / 1000),
      overhead,
      park,
      growth,
      payloads,
      workflowBundleBytes: worker.bundleBytes,
      webhookBurst,
      mappingEval,
      outageStorm,
    });
    fs.writeFileSync(out, `${JSON.stringify({ ...results, codecCost, bulkQuery }, null, 2)}\n`);
    process.stdout.write(
      `\n${formatTable(results)}\n\n${formatCodecCost(codecCost)}\n\n${formatMappingEval(mappingEval)}\n\n${formatBulkQuery(bulkQuery)}\n\nresults: ${out}\n`,
    );
  } finally {
    await worker?.stop().catch((err: unknown) => say(`stopping the worker failed: ${String(err)}`));
    await connection?.close().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await stack?.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
