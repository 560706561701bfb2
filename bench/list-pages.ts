/**
 * `npm run bench:lists [-- --levels 1000,10000,20000] [-- --reps 5]`: the time of one page of
 * IEs (the store's `list()`, what `GET /dlqs` runs) as parked IEs pile up, without Temporal.
 *
 * The growth phase (growth.ts) parks real IEs through the park activity, which takes many minutes
 * for 20,000 on a busy machine. This seeds IE documents directly through the store instead
 * (`build()` then batched inserts: the same documents the park activity writes, with the bench's
 * parking blueprint and bundles, but no quota holds and no workflows), so a level of 20,000 or
 * 100,000 is reached in about a minute. Lists read only the documents, so the page times are the
 * ones the API sees, minus HTTP.
 *
 * The store is MONGO_URL when set (e.g. MongoDB 7), else imex's FerretDB in a temporary folder.
 * Prints one JSON line per level and a table at the end.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { freePort } from '../src/stack/free-port';
import { resolveMongoBinary, startMongoServer, type RunningMongo } from '../src/stack/mongo-server';
import { imexPaths } from '../src/stack/paths';
import { openStore, type Store } from '../src/store';
import type { IncompleteExecutionListQuery } from '../src/store/incomplete-executions';
import { parkingBlueprint } from './scenarios';
import { round, roundSummary, summarize, type Summary } from './stats';

const ORG_ID = 1;
const SCENARIO_ID = 1;
const BATCH = 500;

interface ListLevel {
  parked: number;
  seedMs: number;
  byScenarioMs: Summary;
  byStatusMs: Summary;
  /** The same scenario list 1,000 IEs deep (`pg[offset]=1000`; 900 at the level of 1,000). */
  byScenarioOffset1000Ms: Summary;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const levels = (argValue('--levels') ?? '1000,10000,20000').split(',').map(Number);
  const reps = Number(argValue('--reps') ?? 5);
  const config = loadConfig();
  let mongo: RunningMongo | undefined;
  let tmp: string | undefined;
  let url = config.MONGO_URL;
  if (!url) {
    const paths = imexPaths(config.IMEX_HOME, config.IMEX_DATA_DIR);
    const server = await resolveMongoBinary({ go: config.IMEX_GO, binDir: paths.bin, buildDir: paths.build });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'imex-bench-lists-'));
    mongo = await startMongoServer({
      server,
      port: await freePort(),
      dataDir: path.join(tmp, 'data'),
      logFile: path.join(tmp, 'mongo.log'),
    });
    url = mongo.url;
  }
  const store = await openStore(url, `bench_lists_${Date.now()}`);
  const server = (await store.db.admin().command({ buildInfo: 1 })) as { ferretdbVersion?: string; version: string };
  const serverName = server.ferretdbVersion ? `FerretDB (imex build, ${server.version})` : `MongoDB ${server.version}`;
  const results: ListLevel[] = [];
  try {
    let parked = 0;
    for (const level of levels) {
      const started = performance.now();
      while (parked < level) {
        const n = Math.min(BATCH, level - parked);
        await seed(store, parked, n);
        parked += n;
      }
      const seedMs = performance.now() - started;
      const page = { orgId: ORG_ID, offset: 0, limit: 100, sortBy: 'created', sortDir: 'desc' } as const;
      const result: ListLevel = {
        parked,
        seedMs: round(seedMs, 0),
        byScenarioMs: await timeList(store, { ...page, scenarioId: SCENARIO_ID }, reps),
        byStatusMs: await timeList(store, { ...page, status: 'unresolved' }, reps),
        byScenarioOffset1000Ms: await timeList(
          store,
          { ...page, scenarioId: SCENARIO_ID, offset: Math.min(1000, parked - 100) },
          reps,
        ),
      };
      results.push(result);
      process.stdout.write(`${JSON.stringify({ server: serverName, ...result })}\n`);
    }
    process.stdout.write(`\n${serverName}, page of 100, median (min–max) ms, load ${os.loadavg()[0]!.toFixed(1)}\n`);
    process.stdout.write('| parked | by scenario | by status | by scenario, offset 1000 |\n|---:|---:|---:|---:|\n');
    for (const r of results) {
      const cell = (s: Summary) => `${s.median} (${s.min}–${s.max})`;
      process.stdout.write(
        `| ${r.parked} | ${cell(r.byScenarioMs)} | ${cell(r.byStatusMs)} | ${cell(r.byScenarioOffset1000Ms)} |\n`,
      );
    }
  } finally {
    await store.db.dropDatabase().catch(() => undefined);
    await store.close();
    await mongo?.process.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** IE documents as the park activity stores them: one org, one scenario, unresolved. */
async function seed(store: Store, from: number, n: number): Promise<void> {
  const blueprint = parkingBlueprint();
  const base = Date.now();
  const docs = await Promise.all(
    Array.from({ length: n }, (_, j) => {
      const i = from + j;
      const text = `not JSON #${i}`;
      return store.incompleteExecutions.build(
        {
          ieId: crypto.randomUUID(),
          orgId: ORG_ID,
          scenarioId: SCENARIO_ID,
          scenarioName: blueprint.name,
          executionId: crypto.randomBytes(16).toString('hex'),
          failer: 3,
          bundleIndex: 0,
          blueprint,
          context: { '1': { text }, '2': { text } },
          error: { type: 'DataError', message: `Source is not valid JSON: "${text}"`, moduleId: 3 },
          retry: false,
        },
        new Date(base + j),
      );
    }),
  );
  await store.incompleteExecutions.collection.insertMany(docs, { ordered: false });
}

async function timeList(store: Store, query: IncompleteExecutionListQuery, reps: number): Promise<Summary> {
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const started = performance.now();
    const page = await store.incompleteExecutions.list(query);
    const ms = performance.now() - started;
    if (page.length === 0) throw new Error(`list ${JSON.stringify(query)} listed nothing`);
    if (i > 0) times.push(ms); // the first one warms up
  }
  return roundSummary(summarize(times), 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
