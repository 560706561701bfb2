/**
 * `npm run bench -- --quick` as a user runs it: a child process with its own local stack, which
 * writes every figure to the JSON file. Only the shape is checked, never a timing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runNpmScript } from './support/npm-script';

const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

function expectNumbersByCount(value: unknown, check: (entry: unknown) => boolean): void {
  expect(value).toEqual(expect.any(Object));
  const entries = Object.entries(value as Record<string, unknown>);
  expect(entries.length).toBeGreaterThanOrEqual(2);
  for (const [count, entry] of entries) {
    expect(count).toMatch(/^\d+$/);
    expect(check(entry)).toBe(true);
  }
}

test('npm run bench -- --quick writes every figure with its type', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imex-bench-'));
  const out = path.join(dir, 'bench-results.json');
  try {
    const { code, output } = await runNpmScript('bench', ['--quick', '--out', out]);
    if (code !== 0) throw new Error(`npm run bench exited with ${code}:\n${output.slice(-4000)}`);
    expect(output).toContain('runOverheadRatio');

    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
    for (const key of [
      'runOverheadRatio',
      'parkCostRatio',
      'imexRunsPerSec',
      'bareRunsPerSec',
      'p50Ms',
      'p95Ms',
      'bulkRetry1000Ms',
      'maxPayloadBytes',
      'maxHistoryEvents',
    ]) {
      expect([key, isNumber(r[key])]).toEqual([key, true]);
    }
    // Null only with the reason.
    const notes = r.notes as Record<string, unknown>;
    if (r.sequentialOverheadRatio === null) expect(notes.sequentialOverheadRatio).toEqual(expect.any(String));
    else expect(isNumber(r.sequentialOverheadRatio)).toBe(true);

    expectNumbersByCount(r.workerRssMbByParked, isNumber);
    expectNumbersByCount(r.listPageMsByParked, (entry) => {
      const e = entry as Record<string, unknown>;
      return isNumber(e.byScenario) && isNumber(e.byStatus);
    });
    const machine = r.machine as Record<string, unknown>;
    expect(isNumber(machine.cores) && isNumber(machine.memoryMb)).toBe(true);
    expect(r.quick).toBe(true);
    expect(notes.bulkRetry1000Ms).toMatch(/scaled/);
    // The webhook burst: figures, and correctness that holds on any machine (`lost` depends on the
    // drain finishing within its cap, a timing: not asserted here).
    const burst = r.webhookBurst as Record<string, Record<string, unknown>>;
    for (const b of [burst.oneScenario, burst.acrossScenarios]) {
      expect(isNumber(b?.allAnsweredMs) && isNumber(b?.runsPerSec)).toBe(true);
      expect(b).toMatchObject({ duplicated: 0, refused: 0 });
    }
    expect(burst.cap).toMatchObject({ exact: true, retryAfter: true });
    // The outage storm: figures, and what holds on any machine (the quota never exceeded, no run
    // parked twice; resolving within the cap is a timing: not asserted here).
    const storm = r.outageStorm as Record<string, Record<string, unknown>>;
    expect(isNumber(storm.storm?.parksPerSec) && isNumber(storm.storm?.allParkedMs)).toBe(true);
    expect(storm.storm).toMatchObject({ duplicateIes: 0 });
    expect(storm.quota).toMatchObject({ exceeded: false });
    for (const window of ['quiet', 'storm', 'recovery', 'bulkRetry']) {
      expect([window, isNumber((storm.live?.[window] as Record<string, unknown>)?.n)]).toEqual([window, true]);
    }
    expect(isNumber((storm.longestWorkflowTask?.storm as Record<string, unknown>)?.ms)).toBe(true);
    expect(isNumber(storm.recovery?.appliedMoreThanOnce)).toBe(true);
    expect(storm.recovery?.appliedMoreThanOnce).toBe(0);
    const goals = r.goals as Record<string, unknown>;
    expect(goals.outageStormExactlyOnce).toEqual({ goal: expect.any(String), met: expect.any(Boolean) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 900_000);
