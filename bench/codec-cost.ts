/**
 * The payload codec's cost (docs/security.md, docs/benchmark.md): the 5-module scenario run on
 * demand through the same worker process, once on an imex worker without the codec and once on
 * one with it (worker-process.ts), the client encrypting too. Each repetition runs both one after
 * the other, so load from elsewhere hits them alike; the ratio is taken per repetition.
 */
import { runWorkflowId } from '../src/domain';
import { createDefaultRegistry } from '../src/modules';
import type { ImexClient } from '../src/temporal/client';
import { sample, type BenchContext } from './context';
import { assertValid, fiveModuleBlueprint, runData } from './scenarios';
import { formatRows, percentile, round, roundSummary, runConcurrently, summarize, type Summary } from './stats';

export interface CodecCostResult {
  concurrency: number;
  runsPerRep: number;
  reps: number;
  withoutCodec: { runsPerSec: Summary; p50Ms: number };
  withCodec: { runsPerSec: Summary; p50Ms: number };
  /** Runs per second with the codec / without, per repetition; 1 means no cost. */
  ratios: Summary;
  codecRatio: number;
}

export async function measureCodecCost(ctx: BenchContext, codecImex: ImexClient): Promise<CodecCostResult> {
  const { concurrency, warmupRuns, runsPerRep, reps } = ctx.options.overhead;
  const scenario = await ctx.store.scenarios.create({
    orgId: ctx.orgId,
    name: 'bench: 5 modules (codec cost)',
    blueprint: assertValid(fiveModuleBlueprint(), createDefaultRegistry()),
  });
  let counter = 0;
  const batch = async (imex: ImexClient, kind: string, count: number) => {
    const latenciesMs: number[] = [];
    const started = performance.now();
    await runConcurrently(count, concurrency, async () => {
      const t0 = performance.now();
      const { executionId } = await imex.startScenarioRun({
        orgId: ctx.orgId,
        scenarioId: scenario.id,
        data: runData(counter++),
        trigger: 'manual',
      });
      const result = await imex.scenarioRunResult(executionId);
      if (result.status !== 'success') throw new Error(`${kind} run ${executionId} ended with ${result.status}`);
      sample(ctx, kind, runWorkflowId(executionId));
      latenciesMs.push(performance.now() - t0);
    });
    return { runsPerSec: count / ((performance.now() - started) / 1000), latenciesMs };
  };

  ctx.say(`codec cost: warm-up (${warmupRuns} runs each)`);
  await batch(ctx.imex, 'scenarioRun (no codec)', warmupRuns);
  await batch(codecImex, 'scenarioRun (codec)', warmupRuns);
  const plain: { runsPerSec: number; latenciesMs: number[] }[] = [];
  const coded: { runsPerSec: number; latenciesMs: number[] }[] = [];
  const ratios: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const without = await batch(ctx.imex, 'scenarioRun (no codec)', runsPerRep);
    const withCodec = await batch(codecImex, 'scenarioRun (codec)', runsPerRep);
    plain.push(without);
    coded.push(withCodec);
    ratios.push(withCodec.runsPerSec / without.runsPerSec);
    ctx.say(
      `codec cost: rep ${rep + 1}/${reps}: without ${without.runsPerSec.toFixed(1)} runs/s, ` +
        `with ${withCodec.runsPerSec.toFixed(1)} (${(withCodec.runsPerSec / without.runsPerSec).toFixed(2)})`,
    );
  }
  const figures = (batches: typeof plain) => ({
    runsPerSec: roundSummary(summarize(batches.map((b) => b.runsPerSec)), 1),
    p50Ms: round(
      percentile(
        batches.flatMap((b) => b.latenciesMs),
        50,
      ),
      1,
    ),
  });
  return {
    concurrency,
    runsPerRep,
    reps,
    withoutCodec: figures(plain),
    withCodec: figures(coded),
    ratios: roundSummary(summarize(ratios), 3),
    codecRatio: round(summarize(ratios).median, 3),
  };
}

export function formatCodecCost(r: CodecCostResult): string {
  return formatRows([
    ['runs/s without the codec (median)', String(r.withoutCodec.runsPerSec.median), `p50 ${r.withoutCodec.p50Ms} ms`],
    ['runs/s with the codec (median)', String(r.withCodec.runsPerSec.median), `p50 ${r.withCodec.p50Ms} ms`],
    [
      'with / without (median of reps)',
      String(r.codecRatio),
      `${r.reps} reps of ${r.runsPerRep} runs, ${r.concurrency} at once`,
    ],
  ]);
}
