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
import { assertValid, bareScenarioInput, fiveModuleBlueprint, runData } from './scenarios';
import { percentile, round, roundSummary, runConcurrently, summarize, type Summary } from './stats';

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
  /** imex / bare throughput of each repetition. */
  ratios: Summary;
  runOverheadRatio: number;
  /** Whether the imex runs (started on demand) went through a per-scenario coordinator. */
  imexViaCoordinator: boolean;
  sequential: KindResult | null;
  sequentialRatios: Summary | null;
  sequentialOverheadRatio: number | null;
  sequentialNote: string;
}

type Run = (lane: number) => Promise<void>;

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
  };
  const runs: Record<'bare' | 'imex' | 'sequential', Run> = {
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
    imex: async () => {
      const { executionId } = await imex.startScenarioRun({
        orgId: ctx.orgId,
        scenarioId: scenario.id,
        data: runData(counter++),
        trigger: 'manual',
      });
      await awaitSuccess('scenarioRun (5 modules)', executionId);
    },
    // Make's sequential processing is about webhook (and scheduled) runs: these go through the
    // hook's durable queue, as `POST /hooks/<hookId>` does.
    sequential: async (lane) => {
      const target = sequentialScenarios[lane % sequentialScenarios.length] as { hookId: string };
      const accepted = await imex.acceptWebhook(target.hookId, runData(counter++));
      if (accepted.status !== 'accepted') throw new Error(`the webhook was not accepted: ${accepted.status}`);
      await awaitSuccess('scenarioRun (sequential)', accepted.executionId);
    },
  };

  const batch = async (run: Run, count: number): Promise<Batch> => {
    const latenciesMs: number[] = [];
    const started = performance.now();
    await runConcurrently(count, concurrency, async (_i, lane) => {
      const t0 = performance.now();
      await run(lane);
      latenciesMs.push(performance.now() - t0);
    });
    return { runsPerSec: count / ((performance.now() - started) / 1000), latenciesMs };
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
