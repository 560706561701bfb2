/**
 * Phase 1, run overhead: the 5-module imex scenario against the bare workflow doing the same work,
 * on the same dev server and worker settings, with the same number of concurrent clients. Each
 * client starts a run and waits for its result, then starts the next. Repetitions alternate bare
 * and imex so that load from elsewhere on the machine hits both alike; the ratio is taken per
 * pair of repetitions.
 *
 * The sequential variant runs the same scenario with `sequential: true` through imex's per-scenario
 * coordinator (one scenario per client, so the figure is the coordinator's cost, not queueing).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/config';
import { createDefaultRegistry } from '../src/modules';
import { sample, type BenchContext } from './context';
import { assertValid, bareScenarioInput, fiveModuleBlueprint, runData } from './scenarios';
import { percentile, round, roundSummary, runConcurrently, summarize, type Summary } from './stats';

type Kind = 'bare' | 'imex' | 'sequential';

interface Batch {
  runsPerSec: number;
  latenciesMs: number[];
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
  /** imex / bare throughput of each pair of repetitions. */
  ratios: Summary;
  runOverheadRatio: number;
  sequential: KindResult | null;
  sequentialRatios: Summary | null;
  sequentialOverheadRatio: number | null;
  sequentialNote: string;
}

export async function measureRunOverhead(ctx: BenchContext): Promise<RunOverheadResult> {
  const { options, store, imex, client } = ctx;
  const { concurrency, warmupRuns, runsPerRep, reps } = options.overhead;
  const registry = createDefaultRegistry();
  const scenario = await store.scenarios.create({
    orgId: ctx.orgId,
    name: 'bench: 5 modules',
    blueprint: assertValid(fiveModuleBlueprint(), registry),
  });

  let counter = 0;
  const runOne: Record<Exclude<Kind, 'sequential'>, (lane: number) => Promise<void>> = {
    imex: async () => {
      const { executionId, workflowId } = await imex.startScenarioRun({
        orgId: ctx.orgId,
        scenarioId: scenario.id,
        data: runData(counter++),
      });
      const result = await imex.scenarioRunResult(executionId);
      if (result.status !== 'success') throw new Error(`imex run ${executionId} ended with ${result.status}`);
      sample(ctx, 'scenarioRun (5 modules)', workflowId);
    },
    bare: async () => {
      const workflowId = `bare-${crypto.randomUUID()}`;
      const handle = await client.workflow.start('bareScenario', {
        taskQueue: ctx.bareTaskQueue,
        workflowId,
        args: [bareScenarioInput(counter++)],
      });
      await handle.result();
      sample(ctx, 'bareScenario', workflowId);
    },
  };

  const batch = async (run: (lane: number) => Promise<void>, runs: number): Promise<Batch> => {
    const latenciesMs: number[] = [];
    const started = performance.now();
    await runConcurrently(runs, concurrency, async (_i, lane) => {
      const t0 = performance.now();
      await run(lane);
      latenciesMs.push(performance.now() - t0);
    });
    return { runsPerSec: runs / ((performance.now() - started) / 1000), latenciesMs };
  };

  ctx.say(`run overhead: warm-up (${warmupRuns} runs each)`);
  await batch(runOne.bare, warmupRuns);
  await batch(runOne.imex, warmupRuns);

  const batches: Record<'imex' | 'bare', Batch[]> = { imex: [], bare: [] };
  const ratios: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const bare = await batch(runOne.bare, runsPerRep);
    const imexBatch = await batch(runOne.imex, runsPerRep);
    batches.bare.push(bare);
    batches.imex.push(imexBatch);
    ratios.push(imexBatch.runsPerSec / bare.runsPerSec);
    ctx.say(
      `run overhead: rep ${rep + 1}/${reps}: bare ${bare.runsPerSec.toFixed(1)} runs/s, ` +
        `imex ${imexBatch.runsPerSec.toFixed(1)} runs/s (ratio ${(imexBatch.runsPerSec / bare.runsPerSec).toFixed(2)})`,
    );
  }

  const sequential = await measureSequential(ctx, batch, runOne.bare, registry);
  return {
    concurrency,
    runsPerRep,
    reps,
    imex: kindResult(batches.imex),
    bare: kindResult(batches.bare),
    ratios: roundSummary(summarize(ratios), 3),
    runOverheadRatio: round(summarize(ratios).median, 3),
    ...sequential,
  };
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

export const COORDINATOR_FILE = path.join(projectRoot, 'workflows', 'scenario-coordinator.ts');

async function measureSequential(
  ctx: BenchContext,
  batch: (run: (lane: number) => Promise<void>, runs: number) => Promise<Batch>,
  bare: (lane: number) => Promise<void>,
  registry: ReturnType<typeof createDefaultRegistry>,
): Promise<Pick<RunOverheadResult, 'sequential' | 'sequentialRatios' | 'sequentialOverheadRatio' | 'sequentialNote'>> {
  const none = (sequentialNote: string) => ({
    sequential: null,
    sequentialRatios: null,
    sequentialOverheadRatio: null,
    sequentialNote,
  });
  if (!fs.existsSync(COORDINATOR_FILE)) {
    return none(
      'not measured: there is no per-scenario coordinator yet (workflows/scenario-coordinator.ts is absent), ' +
        'so a sequential scenario would run exactly as a parallel one and the figure would say nothing',
    );
  }
  const { options, store, imex } = ctx;
  const { concurrency, warmupRuns, runsPerRep, reps } = options.overhead;
  // One sequential scenario per client: the coordinator's cost, not runs queueing behind each other.
  const scenarios: number[] = [];
  for (let i = 0; i < concurrency; i++) {
    const s = await store.scenarios.create({
      orgId: ctx.orgId,
      name: `bench: 5 modules, sequential ${i + 1}`,
      blueprint: assertValid(fiveModuleBlueprint({ sequential: true }), registry),
    });
    scenarios.push(s.id);
  }
  let counter = 0;
  const runSequential = async (lane: number) => {
    const { executionId, workflowId } = await imex.startScenarioRun({
      orgId: ctx.orgId,
      scenarioId: scenarios[lane % scenarios.length] as number,
      data: runData(counter++),
    });
    const result = await imex.scenarioRunResult(executionId);
    if (result.status !== 'success') throw new Error(`sequential run ${executionId} ended with ${result.status}`);
    sample(ctx, 'scenarioRun (sequential)', workflowId);
  };
  try {
    ctx.say('run overhead: sequential warm-up');
    await batch(runSequential, warmupRuns);
    const seq: Batch[] = [];
    const ratios: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const b = await batch(bare, runsPerRep);
      const s = await batch(runSequential, runsPerRep);
      seq.push(s);
      ratios.push(s.runsPerSec / b.runsPerSec);
      ctx.say(`run overhead: sequential rep ${rep + 1}/${reps}: ${s.runsPerSec.toFixed(1)} runs/s`);
    }
    return {
      sequential: kindResult(seq),
      sequentialRatios: roundSummary(summarize(ratios), 3),
      sequentialOverheadRatio: round(summarize(ratios).median, 3),
      sequentialNote: `one sequential scenario per client (${concurrency}), each run through the coordinator`,
    };
  } catch (err) {
    return none(`failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
