/**
 * Phase 1, run overhead: the 5-module imex scenario against the bare workflow doing the same work,
 * on the same dev server and worker settings, with the same number of concurrent clients. Each
 * client starts a run and waits for its result, then starts the next. Each repetition measures
 * bare, imex and (when there is a coordinator) the sequential scenario one after the other, so
 * load from elsewhere on the machine hits them alike; ratios are taken per repetition.
 *
 * The sequential variant is the same blueprint with `sequential: true`, started as webhook runs
 * through each hook's durable queue (what Make's sequential processing is about), one scenario per
 * client so that the figure is the per-scenario coordinator's cost, not runs queueing behind each
 * other.
 */
import { coordinatorWorkflowId, runWorkflowId } from '../src/domain';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { projectRoot } from '../src/config';
import { createDefaultRegistry } from '../src/modules';
import { sample, type BenchContext } from './context';
import { profileBatch, type RunProfile, type RunTrace } from './run-profile';
import { assertValid, bareScenarioInput, fiveModuleBlueprint, runData } from './scenarios';
import { formatRows, percentile, round, roundSummary, runConcurrently, summarize, type Summary } from './stats';

interface Batch {
  runsPerSec: number;
  latenciesMs: number[];
  traces: RunTrace[];
}

export interface KindResult {
  runsPerSec: Summary;
  p50Ms: number;
  p95Ms: number;
  latencyMs: Summary;
}

export interface RunOverheadResult {
  concurrency: number;
  runsPerRep: number;
  reps: number;
  imex: KindResult;
  bare: KindResult;
  /** imex / bare throughput of each repetition. */
  ratios: Summary;
  runOverheadRatio: number;
  /** Whether the imex runs (started on demand) went through a per-scenario coordinator. */
  imexViaCoordinator: boolean;
  sequential: KindResult | null;
  sequentialRatios: Summary | null;
  sequentialOverheadRatio: number | null;
  sequentialNote: string;
  /**
   * One more batch of each kind after the repetitions, profiled (run-profile.ts): per run, CPU by
   * process, history events, workflow tasks, activities, store calls, and where the latency went.
   */
  profile: Partial<Record<Kind, RunProfile>>;
}

type Kind = 'bare' | 'imex' | 'sequential';
/** One run, start to result; what the client saw of it. */
type Run = (lane: number) => Promise<Pick<RunTrace, 'workflowId' | 'coordinatorId'>>;

export const COORDINATOR_FILE = path.join(projectRoot, 'workflows', 'scenario-coordinator.ts');

export async function measureRunOverhead(ctx: BenchContext): Promise<RunOverheadResult> {
  const { options, store, imex, client } = ctx;
  const { concurrency, warmupRuns, runsPerRep, reps } = options.overhead;
  const registry = createDefaultRegistry();
  const scenario = await store.scenarios.create({
    orgId: ctx.orgId,
    name: 'bench: 5 modules',
    blueprint: assertValid(fiveModuleBlueprint(), registry),
  });
  // One sequential scenario per client.
  const sequentialScenarios: { id: number; hookId: string }[] = [];
  for (let i = 0; i < concurrency; i++) {
    const s = await store.scenarios.create({
      orgId: ctx.orgId,
      name: `bench: 5 modules, sequential ${i + 1}`,
      blueprint: assertValid(fiveModuleBlueprint({ sequential: true }), registry),
    });
    if (!s.hookId) throw new Error('a scenario with a webhook trigger got no hook');
    sequentialScenarios.push({ id: s.id, hookId: s.hookId });
  }

  let counter = 0;
  const awaitSuccess = async (kind: string, executionId: string) => {
    const result = await imex.scenarioRunResult(executionId);
    if (result.status !== 'success') throw new Error(`${kind} run ${executionId} ended with ${result.status}`);
    sample(ctx, kind, runWorkflowId(executionId));
    return { workflowId: runWorkflowId(executionId) };
  };
  const runs: Record<Kind, Run> = {
    bare: async () => {
      const workflowId = `bare-${crypto.randomUUID()}`;
      const handle = await client.workflow.start('bareScenario', {
        taskQueue: ctx.bareTaskQueue,
        workflowId,
        args: [bareScenarioInput(counter++)],
      });
      await handle.result();
      sample(ctx, 'bareScenario', workflowId);
      return { workflowId };
    },
    imex: async () => {
      const { executionId } = await imex.startScenarioRun({
        orgId: ctx.orgId,
        scenarioId: scenario.id,
        data: runData(counter++),
        trigger: 'manual',
      });
      return awaitSuccess('scenarioRun (5 modules)', executionId);
    },
    // Make's sequential processing is about webhook (and scheduled) runs: these go through the
    // hook's durable queue, as `POST /hooks/<hookId>` does.
    sequential: async (lane) => {
      const target = sequentialScenarios[lane % sequentialScenarios.length] as { id: number; hookId: string };
      const accepted = await imex.acceptWebhook(target.hookId, runData(counter++));
      if (accepted.status !== 'accepted') throw new Error(`the webhook was not accepted: ${accepted.status}`);
      const ran = await awaitSuccess('scenarioRun (sequential)', accepted.executionId);
      return { ...ran, coordinatorId: coordinatorWorkflowId(ctx.imexTaskQueue, target.id) };
    },
  };

  const batch = async (run: Run, count: number): Promise<Batch> => {
    const latenciesMs: number[] = [];
    const traces: RunTrace[] = [];
    const started = performance.now();
    await runConcurrently(count, concurrency, async (_i, lane) => {
      const t0 = performance.now();
      const clientStartMs = Date.now();
      const ran = await run(lane);
      latenciesMs.push(performance.now() - t0);
      traces.push({ ...ran, clientStartMs, clientEndMs: Date.now() });
    });
    return { runsPerSec: count / ((performance.now() - started) / 1000), latenciesMs, traces };
  };

  ctx.say(`run overhead: warm-up (${warmupRuns} runs each)`);
  await batch(runs.bare, warmupRuns);
  await batch(runs.imex, warmupRuns);
  const imexViaCoordinator = await coordinatorExists(ctx, scenario.id);
  let sequentialNote: string | undefined;
  if (!fs.existsSync(COORDINATOR_FILE)) {
    sequentialNote =
      'not measured: there is no per-scenario coordinator yet (workflows/scenario-coordinator.ts is absent), ' +
      'so a sequential scenario would run exactly as a parallel one and the figure would say nothing';
  } else {
    await batch(runs.sequential, warmupRuns);
    if (!(await coordinatorExists(ctx, (sequentialScenarios[0] as { id: number }).id))) {
      sequentialNote =
        "not measured: a sequential scenario's webhook run did not go through a coordinator " +
        '(no coordinator-<taskQueue>-<scenarioId> workflow), so the figure would say nothing';
    }
  }
  const withSequential = sequentialNote === undefined;

  const batches = { bare: [] as Batch[], imex: [] as Batch[], sequential: [] as Batch[] };
  const ratios: number[] = [];
  const sequentialRatios: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const bare = await batch(runs.bare, runsPerRep);
    const imexBatch = await batch(runs.imex, runsPerRep);
    batches.bare.push(bare);
    batches.imex.push(imexBatch);
    ratios.push(imexBatch.runsPerSec / bare.runsPerSec);
    let line =
      `run overhead: rep ${rep + 1}/${reps}: bare ${bare.runsPerSec.toFixed(1)} runs/s, ` +
      `imex ${imexBatch.runsPerSec.toFixed(1)} (${(imexBatch.runsPerSec / bare.runsPerSec).toFixed(2)})`;
    if (withSequential) {
      const seq = await batch(runs.sequential, runsPerRep);
      batches.sequential.push(seq);
      sequentialRatios.push(seq.runsPerSec / bare.runsPerSec);
      line += `, sequential ${seq.runsPerSec.toFixed(1)} (${(seq.runsPerSec / bare.runsPerSec).toFixed(2)})`;
    }
    ctx.say(line);
  }

  const profile: RunOverheadResult['profile'] = {};
  const profiled: Kind[] = withSequential ? ['bare', 'imex', 'sequential'] : ['bare', 'imex'];
  for (const kind of profiled) {
    ctx.say(`run overhead: profiling ${runsPerRep} ${kind} runs`);
    const processes = { worker: ctx.worker, stack: ctx.stackProcesses, clientCalls: ctx.clientCalls };
    profile[kind] = await profileBatch(client, processes, async () => (await batch(runs[kind], runsPerRep)).traces);
  }

  return {
    concurrency,
    runsPerRep,
    reps,
    imex: kindResult(batches.imex),
    bare: kindResult(batches.bare),
    ratios: roundSummary(summarize(ratios), 3),
    runOverheadRatio: round(summarize(ratios).median, 3),
    imexViaCoordinator,
    sequential: withSequential ? kindResult(batches.sequential) : null,
    sequentialRatios: withSequential ? roundSummary(summarize(sequentialRatios), 3) : null,
    sequentialOverheadRatio: withSequential ? round(summarize(sequentialRatios).median, 3) : null,
    sequentialNote:
      sequentialNote ??
      `measured: ${concurrency} sequential scenarios, one per client, webhook runs through each scenario's coordinator`,
    profile,
  };
}

/** The phase alone (`--only run-overhead`): ratios, then each kind's profile per run. */
export function formatRunOverhead(r: RunOverheadResult): string {
  const rows: [string, string, string][] = [
    ['runOverheadRatio', `${r.runOverheadRatio} (${r.ratios.min}–${r.ratios.max})`, 'goal ≥ 0.9'],
    [
      'sequentialOverheadRatio',
      r.sequentialRatios
        ? `${r.sequentialOverheadRatio} (${r.sequentialRatios.min}–${r.sequentialRatios.max})`
        : 'null',
      'goal ≥ 0.8',
    ],
    ['bare / imex runs/s (median)', `${r.bare.runsPerSec.median} / ${r.imex.runsPerSec.median}`, ''],
  ];
  if (r.sequential) rows.push(['sequential runs/s (median)', `${r.sequential.runsPerSec.median}`, '']);
  for (const [kind, p] of Object.entries(r.profile)) {
    const cpu = Object.entries(p.cpuMsPerRun).map(([name, ms]) => `${name} ${ms}`);
    rows.push([`${kind}: CPU ms per run`, cpu.join(', '), '']);
    const h = p.runHistory;
    rows.push([
      `${kind}: run history per run`,
      `${h.events} events, ${h.workflowTasks} tasks, ${h.activities} activities, ${h.localActivities} local, ${h.payloadBytes} B`,
      '',
    ]);
    const c = p.coordinatorHistory;
    if (c) {
      rows.push([
        `${kind}: coordinator per run`,
        `${c.events} events, ${c.workflowTasks} tasks, ${c.activities} activities, ${c.localActivities} local, ${c.payloadBytes} B`,
        '',
      ]);
    }
    const mongo = Object.values(p.workerPerRun).reduce((sum, a) => sum + a.mongoCommands, 0);
    rows.push([`${kind}: worker MongoDB commands per run`, String(round(mongo, 2)), '']);
    const calls = Object.values(p.clientCallsPerRun).reduce((sum, n) => sum + n, 0);
    rows.push([`${kind}: client store/Temporal calls per run`, String(round(calls, 2)), '']);
    for (const [segment, ms] of Object.entries(p.latencyMs)) rows.push([`${kind}: ${segment}`, `${ms} ms`, '']);
  }
  return formatRows(rows);
}

function kindResult(batches: Batch[]): KindResult {
  const all = batches.flatMap((b) => b.latenciesMs);
  return {
    runsPerSec: roundSummary(summarize(batches.map((b) => b.runsPerSec))),
    p50Ms: round(percentile(all, 50), 1),
    p95Ms: round(percentile(all, 95), 1),
    latencyMs: roundSummary(summarize(all), 1),
  };
}

/** Whether the scenario's coordinator workflow exists. */
async function coordinatorExists(ctx: BenchContext, scenarioId: number): Promise<boolean> {
  try {
    await ctx.client.workflow.getHandle(coordinatorWorkflowId(ctx.imexTaskQueue, scenarioId)).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
