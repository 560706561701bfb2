/**
 * `npm run chaos -- --quick` with a fixed seed, as a user runs it: its own stack, a worker
 * SIGKILLed, the Temporal server restarted and the store frozen while failing runs (fan-outs,
 * large bundles) park; every invariant must hold. The JSON names each invariant and its offenders.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runNpmScript } from './support/npm-script';

/** A worker killed just before the service recovers, Temporal restarted after: both while attempts run. */
const SEED = 2;

interface ChaosResults {
  seed: number;
  results: { name: string; status: 'PASS' | 'FAIL' | 'WARN'; detail: string; offenders?: string[] }[];
  plan: { runs: { kind: string; items: string[] }[]; faults: { kind: string }[]; retriedFrom: string[] };
  figures: { iesFromAttemptsOverFanOuts: number; webhooksAcceptedWhileTemporalDown: number };
}

test('npm run chaos -- --quick: nothing lost, nothing duplicated through a worker kill, a Temporal restart and a store freeze', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imex-chaos-test-'));
  const out = path.join(dir, 'chaos.json');
  try {
    const { code, output } = await runNpmScript('chaos', ['--quick', '--seed', String(SEED), '--out', out]);
    if (!fs.existsSync(out)) throw new Error(`npm run chaos wrote no results (exit ${code}):\n${output.slice(-4000)}`);
    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as ChaosResults;
    expect(r.seed).toBe(SEED);
    // The plan holds what the suite promises to exercise.
    expect(new Set(r.plan.runs.map((run) => run.kind))).toEqual(
      new Set(['single', 'iterator', 'parse-json', 'large', 'gate-fan-out', 'webhook']),
    );
    // An attempt met a fan-out and parked a refused bundle as an IE of its own; a payload was
    // accepted while Temporal was down and ran once maintenance woke its coordinator.
    expect(r.figures.iesFromAttemptsOverFanOuts).toBeGreaterThanOrEqual(1);
    expect(r.figures.webhooksAcceptedWhileTemporalDown).toBe(1);
    // A person retried a parked IE from the trigger while a fault struck (the retry-from path).
    expect(r.plan.retriedFrom.length).toBeGreaterThanOrEqual(1);
    expect(r.results.map((i) => i.name)).toContain(
      'each retry from the trigger was accepted and attempted through the faults',
    );
    expect(new Set(r.plan.faults.map((f) => f.kind))).toEqual(
      new Set(['worker-kill', 'temporal-restart', 'store-pause']),
    );
    // Every failing invariant, named with its offenders, in one message.
    expect(r.results.filter((i) => i.status === 'FAIL')).toEqual([]);
    expect(code).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 330_000);
