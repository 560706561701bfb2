/**
 * `npm run chaos [-- --seed N] [-- --quick] [-- --out FILE] [-- --keep]`: the fault suite
 * (docs/reliability.md). Brings up its own stack (a Temporal dev server on a database file,
 * FerretDB), an imex worker in a child process and a downstream service that is down; fires
 * failing runs (fan-outs and large bundles among them) while, at moments chosen from the seed, it
 * SIGKILLs the worker (a new one starts), kills and restarts the Temporal server and freezes the
 * store. Webhook payloads go through the hook's path as the API takes them (one while the
 * Temporal server is down). Then the service recovers, maintenance runs, the IEs settle, and the
 * invariants are checked and printed. Exits 1 when one fails.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { ieIdFor } from '../../activities/incomplete-executions';
import { loadConfig } from '../../src/config';
import { openStore, type IncompleteExecutionDocument, type Store } from '../../src/store';
import { openFailFastApiClients, type FailFastApiClients } from '../../src/api/fail-fast-clients';
import { signalWithStartCoordinator } from '../../src/temporal/coordinator';
import { failFastRetry } from '../../src/temporal/unavailable';
import { bundleImexWorkflows } from '../../src/temporal/workflow-bundle';
import { ImexClient, RequestRejectedError } from '../../src/temporal/client';
import { runRequestedSignal } from '../../workflows/scenario-coordinator-messages';
import { ChaosStack } from './chaos-stack';
import { Downstream } from './downstream';
import {
  attemptIes,
  checkHolders,
  checkNoneInProgress,
  checkOneIePerFailedBundle,
  checkOrphanBlobs,
  checkQuota,
  checkRetriedFrom,
  checkSettled,
  checkSideEffects,
  checkWebhookRuns,
  expectedIes,
  isSettled,
  type ExpectedIe,
  type InvariantResult,
  type WebhookSend,
} from './invariants';
import { parseChaosArgs } from './options';
import {
  describePlan,
  makePlan,
  RUN_KINDS,
  seededRandom,
  type PlannedFault,
  type PlannedRun,
  type RunKind,
} from './plan';
import { chaosBlueprint, chaosRunData, FAILER } from './scenarios';
import { ImexWorkerProcess, type ImexWorkerProcessConfig } from './worker-handle';

const NAMESPACE = 'default';
const TASK_QUEUE = 'imex-chaos';
const DB_NAME = 'imex-chaos';
/** The last maintenance's blob grace: every run has ended by then, so only a moment's margin is needed. */
const ORPHAN_BLOB_GRACE_MS = 2_000;
/** Maintenance leaves things younger than this alone (queued webhook payloads included). */
const MAINTENANCE_MIN_AGE_MS = 5_000;
/** How long a webhook payload's run may take to end once maintenance has woken its coordinator. */
const WEBHOOK_RUN_WAIT_MS = 90_000;
/** How long any other run may take to end once the faults are over. */
const RUN_WAIT_MS = 180_000;

interface FaultRecord {
  kind: PlannedFault['kind'];
  plannedAtMs: number;
  /** Ms after the firing phase began: when it struck and when the stack was whole again. */
  atMs: number;
  endedAtMs: number;
}

async function main(): Promise<number> {
  const options = parseChaosArgs(process.argv.slice(2));
  const plan = makePlan(options.seed, options.sizes);
  const began = Date.now();
  const say = (line: string) => process.stdout.write(`[chaos ${((Date.now() - began) / 1000).toFixed(1)}s] ${line}\n`);
  say(
    `seed ${plan.seed} (npm run chaos -- --seed ${plan.seed}${options.quick ? ' --quick' : ''} reproduces this plan)`,
  );
  for (const line of describePlan(plan)) say(`plan: ${line}`);

  const config = loadConfig({ ...process.env, TEMPORAL_ADDRESS: undefined, MONGO_URL: undefined });
  const stack = await ChaosStack.start(config);
  const onSignal = () => {
    stack.stopSync();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let store: Store | undefined;
  let connection: Connection | undefined;
  let apiConnection: Connection | undefined;
  const apiRetry = failFastRetry();
  let api: FailFastApiClients | undefined;
  let worker: ImexWorkerProcess | undefined;
  /** Every worker started (a supervisor's restart may overlap a planned kill's): all stopped at the end. */
  const startedWorkers: ImexWorkerProcess[] = [];
  let stopping = false;
  const downstream = await new Downstream(new Set(plan.permanent), seededRandom(plan.seed ^ 0x5eed)).start();
  try {
    say(`stack up in ${stack.dir}: Temporal ${stack.temporalAddress}, store ${stack.mongoUrl}`);
    store = await openStore(stack.mongoUrl, DB_NAME);
    connection = await Connection.connect({ address: stack.temporalAddress });
    const client = new Client({ connection, namespace: NAMESPACE });
    const imex = new ImexClient({ client, store, taskQueue: TASK_QUEUE });
    // Webhook payloads are taken as the API takes them: its fail-fast clients, its hook path.
    apiConnection = await Connection.connect({
      address: stack.temporalAddress,
      interceptors: apiRetry.interceptors,
    });
    api = await openFailFastApiClients({
      mongoUrl: stack.mongoUrl,
      dbName: DB_NAME,
      temporal: new Client({ connection: apiConnection, namespace: NAMESPACE }),
      taskQueue: TASK_QUEUE,
    });
    const hooks = api.imex;
    const bundlePath = path.join(stack.dir, 'workflows.js');
    fs.writeFileSync(bundlePath, (await bundleImexWorkflows()).code);
    const workerConfig: ImexWorkerProcessConfig = {
      temporalAddress: stack.temporalAddress,
      namespace: NAMESPACE,
      mongoUrl: stack.mongoUrl,
      dbName: DB_NAME,
      taskQueue: TASK_QUEUE,
      workflowBundlePath: bundlePath,
    };
    let workers = 0;
    /** The worker being started, if any: a kill waits for it, so it strikes a live worker. */
    let starting: Promise<ImexWorkerProcess> | undefined;
    // A supervisor, as a deployment has: a worker that dies by itself is started again.
    const startWorker = async (): Promise<ImexWorkerProcess> => {
      const started = await persist('start a worker', () =>
        ImexWorkerProcess.start(workerConfig, path.join(stack.dir, `worker-${++workers}.log`)),
      );
      startedWorkers.push(started);
      started.onUnexpectedExit((why) => {
        if (stopping) return;
        say(`worker ${started.pid} exited by itself (${why}): starting another`);
        starting = startWorker().then((w) => (worker = w));
      });
      return started;
    };
    worker = await startWorker();
    say(`worker ${worker.pid} ready`);

    const org = await store.organizations.create({ name: 'chaos' });
    const scenarioIds = new Map<RunKind | 'webhook-while-down', { id: number; hookId?: string }>();
    for (const kind of [...RUN_KINDS, 'webhook-while-down'] as const) {
      const scenario = await store.scenarios.create({
        orgId: org._id,
        name: `chaos: ${kind}`,
        blueprint: chaosBlueprint(
          kind === 'webhook-while-down' ? 'webhook' : kind,
          downstream.url('/effects'),
          options.schedule,
        ),
      });
      scenarioIds.set(kind, { id: scenario.id, ...(scenario.hookId ? { hookId: scenario.hookId } : {}) });
    }
    // The payload sent while Temporal is down has a scenario of its own: no later webhook wakes it.
    const scenarioOf = (run: PlannedRun) =>
      scenarioIds.get(run.whileTemporalDown ? 'webhook-while-down' : run.kind) as { id: number; hookId?: string };
    const webhookScenarioIds = [scenarioIds.get('webhook'), scenarioIds.get('webhook-while-down')].map(
      (s) => s?.id as number,
    );

    // --- firing phase: runs and faults at their planned moments ---
    const firingStart = Date.now();
    const executionIds = new Map<string, string>();
    /** IE id → the verdict on its retry from the trigger (plan.retriedFrom). */
    const retriesFrom = new Map<string, string>();
    const webhookSends = new Map<string, WebhookSend>();
    let lastAcceptedAt = 0;
    /** One send to the hook, as a sender does: accepted (the run's execution id) or an error. */
    const sendWebhook = async (run: PlannedRun): Promise<string> => {
      const send = webhookSends.get(run.key) as WebhookSend;
      try {
        const answer = await hooks.acceptWebhook(scenarioOf(run).hookId as string, chaosRunData(run, 0));
        if (answer.status !== 'accepted') throw new Error(`the hook answered ${answer.status}`);
        send.executionId = answer.executionId;
        lastAcceptedAt = Date.now();
        return answer.executionId;
      } catch (err) {
        send.failedSends++;
        throw err;
      }
    };
    for (const run of plan.runs)
      if (run.kind === 'webhook')
        webhookSends.set(run.key, { run, ended: false, acceptedWhileDown: false, failedSends: 0 });
    let temporalWasDown: () => void = () => undefined;
    const temporalDown = new Promise<void>((resolve) => (temporalWasDown = resolve));
    /**
     * While the Temporal server is down: the payloads planned for that moment, tried for up to
     * 10 s (the store may be frozen too, or slow under load); one still refused is sent after.
     */
    const whileTemporalDown = async () => {
      for (const run of plan.runs.filter((r) => r.whileTemporalDown)) {
        let executionId: string | undefined;
        for (const deadline = Date.now() + 10_000; !executionId && Date.now() < deadline;) {
          executionId = await sendWebhook(run).catch(() => sleep(500).then(() => undefined));
        }
        if (!executionId) continue;
        (webhookSends.get(run.key) as WebhookSend).acceptedWhileDown = true;
        say(`webhook ${run.key} accepted while the Temporal server is down (execution ${executionId})`);
      }
      temporalWasDown();
    };
    const fire = async (run: PlannedRun) => {
      if (run.whileTemporalDown) await temporalDown;
      else await sleep(Math.max(0, firingStart + run.atMs - Date.now()));
      let executionId: string;
      if (run.kind === 'webhook') {
        const already = webhookSends.get(run.key)?.executionId;
        executionId = already ?? (await persist(`send webhook ${run.key}`, () => sendWebhook(run)));
      } else {
        // Our own execution id: a request repeated after an error is the same run (the coordinator
        // and REJECT_DUPLICATE drop the repeat), so retrying through faults never makes two.
        executionId = crypto.randomUUID().replace(/-/g, '');
        const data = chaosRunData(run, plan.sizes.largeBytes);
        await persist(`fire ${run.key}`, async () => {
          const payload = run.kind === 'large' ? await (store as Store).blobs.put(data) : data;
          await signalWithStartCoordinator(
            client,
            TASK_QUEUE,
            { orgId: org._id, scenarioId: scenarioOf(run).id },
            runRequestedSignal,
            { executionId, trigger: 'manual', data: payload, receivedAt: new Date().toISOString() },
          );
        });
      }
      executionIds.set(run.key, executionId);
      // A person deletes some refused bundles' IEs while the faults go on: they must stay deleted.
      const iesOf = (identities: string[]) =>
        run.items.flatMap((identity, n) =>
          identities.includes(identity) ? [ieIdFor(executionId, FAILER[run.kind], n)] : [],
        );
      const toDelete = iesOf(plan.deleted);
      // A person retries some refused bundles' IEs from the trigger while the faults go on: the
      // service still refuses them, so each must end waiting for a person again, holding its bundle.
      const toRetryFrom = iesOf(plan.retriedFrom);
      if (toDelete.length === 0 && toRetryFrom.length === 0) return;
      await persist(`wait for ${run.key} to end`, () => imex.scenarioRunResult(executionId));
      if (toDelete.length > 0) say(`${run.key} ended; deleting ${toDelete.length} of its IEs`);
      for (const ieId of toDelete) {
        await persist(`delete IE ${ieId}`, async () => {
          if ((await (store as Store).incompleteExecutions.get(ieId))?.deleted) return;
          await imex.deleteIncompleteExecution(ieId);
        });
        say(`deleted IE ${ieId} (bundle of ${run.key})`);
      }
      if (toRetryFrom.length > 0) await sleep(Math.max(0, firingStart + plan.retryFromAtMs - Date.now()));
      for (const ieId of toRetryFrom) {
        // One request id for every try: a repeat after a fault gets the first verdict.
        const verdict = await persist(`retry IE ${ieId} from the trigger`, () =>
          imex.requestIncompleteExecution(ieId, 'retry', { from: 1, requestId: `chaos-retry-from-${ieId}` }).then(
            () => 'accepted',
            (err: unknown) => {
              if (err instanceof RequestRejectedError) return `refused: ${err.reason}`;
              throw err;
            },
          ),
        );
        retriesFrom.set(ieId, verdict);
        say(`retried IE ${ieId} from the trigger (bundle of ${run.key}): ${verdict}`);
      }
    };
    const faults: FaultRecord[] = [];
    const strike = async (fault: PlannedFault) => {
      await sleep(Math.max(0, firingStart + fault.atMs - Date.now()));
      const atMs = Date.now() - firingStart;
      say(`FAULT ${fault.kind} at +${(atMs / 1000).toFixed(1)} s`);
      switch (fault.kind) {
        case 'worker-kill': {
          await starting;
          const victim = worker as ImexWorkerProcess;
          await victim.kill();
          say(`  worker ${victim.pid} SIGKILLed; starting another`);
          starting = startWorker().then((w) => (worker = w));
          await starting;
          break;
        }
        case 'temporal-restart':
          await stack.restartTemporal(whileTemporalDown);
          break;
        case 'store-pause':
          stack.pauseStore();
          await sleep(fault.durationMs ?? 20_000);
          stack.resumeStore();
          break;
      }
      const endedAtMs = Date.now() - firingStart;
      say(`  ${fault.kind} over at +${(endedAtMs / 1000).toFixed(1)} s`);
      faults.push({ kind: fault.kind, plannedAtMs: fault.atMs, atMs, endedAtMs });
    };
    const recover = async () => {
      await sleep(Math.max(0, firingStart + plan.recoverAtMs - Date.now()));
      downstream.recover();
      say(`the service recovers at +${((Date.now() - firingStart) / 1000).toFixed(1)} s`);
    };
    await Promise.all([...plan.runs.map(fire), ...plan.faults.map(strike), recover()]);
    say(`all ${plan.runs.length} runs fired, all ${plan.faults.length} faults over`);
    const recoveredAtMs = (downstream.recoveredAt as number) - firingStart;

    // As the maintenance schedule would: a webhook payload accepted while Temporal was down has
    // had no wake-up, and maintenance wakes its coordinator once the payload is old enough.
    await sleep(Math.max(0, lastAcceptedAt + MAINTENANCE_MIN_AGE_MS + 1000 - Date.now()));
    await runMaintenance(client, 'after the faults');

    // What each run parked: its failed bundles, whose IEs must exist (the others were applied).
    // A run that never ends (an accepted payload nobody starts) is named, not waited on forever.
    const results = await Promise.all(
      plan.runs.map((run) =>
        // scenarioRunResult waits for a run that does not exist yet: bounded here.
        Promise.race([
          persist(`wait for ${run.key} to end`, () => imex.scenarioRunResult(executionIds.get(run.key) as string)),
          sleep(run.kind === 'webhook' ? WEBHOOK_RUN_WAIT_MS : RUN_WAIT_MS).then(() => undefined),
        ]).catch(() => undefined),
      ),
    );
    plan.runs.forEach((run, i) => {
      const send = webhookSends.get(run.key);
      if (send) send.ended = results[i] !== undefined;
    });
    const unended = plan.runs.filter((_, i) => results[i] === undefined).map((r) => r.key);
    say(unended.length === 0 ? 'every run ended' : `runs that never ended: ${unended.join(', ')}`);
    const parked = plan.runs.map((run, i) => ({
      run,
      executionId: executionIds.get(run.key) as string,
      parked: results[i]?.parked ?? [],
    }));
    const { expected, offenders: parkOffenders } = expectedIes(parked, plan);
    await runMaintenance(client, 'after recovery');
    say('maintenance ran; waiting for the IEs to settle');
    const settled = await waitForSettled(store, org._id, expected, options.settleTimeoutMs);
    say(settled ? 'every IE settled' : `not every IE settled within ${options.settleTimeoutMs / 1000} s`);
    // The IEs attempts parked over a fan-out (each refused bundle after the first of a gate IE).
    const fromAttempts = await attemptIes(plan, store, expected, await ieDocuments(store, org._id));
    expected.push(...fromAttempts.derived);
    parkOffenders.push(...fromAttempts.offenders);
    say(`${fromAttempts.derived.length} IEs parked by attempts over a fan-out`);
    // Nothing runs any more: unreferenced blobs may go after a short grace, and none may be left.
    const lastMaintenance = new Date(Date.now() - ORPHAN_BLOB_GRACE_MS);
    await runMaintenance(client, 'after settling', ORPHAN_BLOB_GRACE_MS);

    // --- invariants ---
    const docs = await ieDocuments(store, org._id);
    const checks: InvariantResult[] = [
      ...(await persist('check Temporal', () =>
        untilAgreed(() => checkOneIePerFailedBundle(client, org._id, expected, docs, parkOffenders)),
      )),
      checkSettled(expected, docs),
      checkNoneInProgress(docs),
      ...(await checkQuota(store, org._id, docs)),
      await checkHolders(plan, store, expected, docs),
      checkSideEffects(plan, expected, downstream),
      checkRetriedFrom(plan, expected, docs, retriesFrom, downstream),
      await checkWebhookRuns(store, [...webhookSends.values()], webhookScenarioIds),
      await checkOrphanBlobs(store, lastMaintenance),
    ];
    const lastSettledMs =
      Math.max(...[...docs.values()].map((d) => (d.resolvedAt ?? d.updatedAt).getTime())) - firingStart;
    const figures = {
      ies: docs.size,
      attempts: [...docs.values()].reduce((n, d) => n + d.attempts, 0),
      requests: downstream.requests.length,
      redeliveredSameKey: downstream.redeliveries,
      workersStarted: workers,
      iesFromAttemptsOverFanOuts: fromAttempts.derived.length,
      webhookPayloads: webhookSends.size,
      webhooksAcceptedWhileTemporalDown: [...webhookSends.values()].filter((w) => w.acceptedWhileDown).length,
      recoveredAtMs,
      lastSettledMs,
      recoveryToLastSettledMs: lastSettledMs - recoveredAtMs,
      // null: every IE had settled before this fault struck.
      faults: faults.map((f) => ({
        ...f,
        faultToLastSettledMs: lastSettledMs >= f.atMs ? lastSettledMs - f.atMs : null,
      })),
      totalMs: Date.now() - began,
    };

    process.stdout.write(`\nchaos seed ${plan.seed}\n`);
    for (const line of describePlan(plan)) process.stdout.write(`  plan: ${line}\n`);
    for (const f of figures.faults)
      process.stdout.write(
        `  fault ${f.kind}: +${(f.atMs / 1000).toFixed(1)} s → +${(f.endedAtMs / 1000).toFixed(1)} s; ` +
          (f.faultToLastSettledMs === null
            ? 'every IE had settled before it\n'
            : `last IE settled ${(f.faultToLastSettledMs / 1000).toFixed(1)} s later\n`),
      );
    for (const r of checks) {
      process.stdout.write(`  ${r.status.padEnd(4)} ${r.name}: ${r.detail}\n`);
      for (const o of r.offenders ?? []) process.stdout.write(`         ${o}\n`);
    }
    process.stdout.write(
      `  figures: ${figures.ies} IEs (${figures.iesFromAttemptsOverFanOuts} parked by attempts over a fan-out), ` +
        `${figures.attempts} attempts, ${figures.webhookPayloads} webhook payloads ` +
        `(${figures.webhooksAcceptedWhileTemporalDown} accepted while Temporal was down), ${figures.requests} requests ` +
        `(${figures.redeliveredSameKey} redelivered under the same key), ${figures.workersStarted} workers started, ` +
        `recovery → last IE settled ${(figures.recoveryToLastSettledMs / 1000).toFixed(1)} s, total ${(figures.totalMs / 1000).toFixed(0)} s\n`,
    );
    const failed = checks.filter((r) => r.status === 'FAIL');
    process.stdout.write(
      failed.length === 0 ? '\nchaos: every invariant holds\n' : `\nchaos: ${failed.length} invariant(s) FAIL\n`,
    );
    if (options.out) {
      fs.writeFileSync(
        path.resolve(options.out),
        `${JSON.stringify({ seed: plan.seed, quick: options.quick, plan, results: checks, figures }, null, 2)}\n`,
      );
    }
    return failed.length === 0 ? 0 : 1;
  } finally {
    stopping = true;
    await Promise.all(startedWorkers.map((w) => w.stop(15_000).catch(() => undefined)));
    await connection?.close().catch(() => undefined);
    await api?.close().catch(() => undefined);
    if (apiConnection) await apiRetry.close(apiConnection).catch(() => undefined);
    await store?.close().catch(() => undefined);
    await downstream.stop();
    await stack.stop(options.keep);
    if (options.keep) say(`kept ${stack.dir}`);
  }
}

/** Keeps trying through faults (a frozen store, a restarting server) for up to `timeoutMs`. */
async function persist<T>(what: string, action: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    try {
      return await action();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${tries} tries: ${String(err)}`);
      await sleep(Math.min(5000, 250 * tries));
    }
  }
}

async function runMaintenance(client: Client, why: string, blobGraceMs?: number): Promise<void> {
  await persist(`maintenance ${why}`, () =>
    client.workflow.execute('maintenance', {
      taskQueue: TASK_QUEUE,
      workflowId: `chaos-maintenance-${why.replace(/\s+/g, '-')}`,
      // Old enough: every run has ended, so nothing is being written right now.
      args: [{ minAgeMs: MAINTENANCE_MIN_AGE_MS, ...(blobGraceMs === undefined ? {} : { blobGraceMs }) }],
    }),
  );
}

/**
 * An IE's document is written (resolved) a moment before its workflow's last task upserts the
 * same status into its search attributes: a failing check is looked at again for a while, so only
 * a disagreement that lasts counts.
 */
async function untilAgreed(check: () => Promise<InvariantResult[]>, deadlineMs = 30_000): Promise<InvariantResult[]> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const results = await check();
    if (results.every((r) => r.status !== 'FAIL') || Date.now() > until) return results;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function ieDocuments(store: Store, orgId: number): Promise<Map<string, IncompleteExecutionDocument>> {
  const docs = await store.incompleteExecutions.collection.find({ orgId }).toArray();
  return new Map(docs.map((d) => [d._id, d]));
}

/** Every IE settled (`isSettled`), or the deadline. */
async function waitForSettled(
  store: Store,
  orgId: number,
  expected: ExpectedIe[],
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const docs = await ieDocuments(store, orgId).catch(() => undefined);
    if (
      docs &&
      expected.every((e) => docs.has(e.ieId) && isSettled(e, docs.get(e.ieId) as IncompleteExecutionDocument))
    )
      return true;
    await sleep(1000);
  }
  return false;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
