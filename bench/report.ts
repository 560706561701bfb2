/** The bench's results: the JSON document (top-level figures first, details after) and the table. */
import os from 'node:os';
import type { GrowthResult } from './growth';
import { outageStormGoals, outageStormRows, type OutageStormResult } from './outage-storm';
import type { BenchOptions } from './options';
import type { ParkCostResult } from './park-cost';
import type { PayloadResult } from './payloads';
import type { RunOverheadResult } from './run-overhead';
import { round } from './stats';
import type { MappingEvalResult } from './mapping-eval';
import { webhookBurstGoal, webhookBurstRows, type WebhookBurstResult } from './webhook-burst';

export interface Machine {
  cores: number;
  memoryMb: number;
  cpuModel: string;
  platform: string;
  node: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
}

export function machineNow(loadAverageAtStart: number[]): Machine {
  return {
    cores: os.cpus().length,
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: loadAverageAtStart.map((l) => round(l, 2)),
    loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)),
  };
}

export type Shape = 'flat' | 'sublinear' | 'linear' | 'worse than linear' | 'unknown';

/** How a figure grows between the first and last level: the exponent of value ~ count^e. */
export function growthShape(points: [number, number][]): Shape {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last || last[0] <= first[0] || !(first[1] > 0)) return 'unknown';
  const valueRatio = last[1] / first[1];
  if (valueRatio <= 1.1) return 'flat';
  const exponent = Math.log(valueRatio) / Math.log(last[0] / first[0]);
  if (exponent < 0.7) return 'sublinear';
  if (exponent <= 1.2) return 'linear';
  return 'worse than linear';
}

export interface BenchResults {
  runOverheadRatio: number;
  sequentialOverheadRatio: number | null;
  parkCostRatio: number;
  imexRunsPerSec: number;
  bareRunsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  workerRssMbByParked: Record<string, number>;
  /** RSS growth per cached workflow once the cache is full (growth.ts). */
  rssPerCachedWorkflowMb: number | null;
  /** The same from the worker's start: an upper bound (growth.ts). */
  rssPerCachedWorkflowFromStartMb: number | null;
  /** imex's workflow bundle: each cached workflow evaluates it again, in a context of its own. */
  workflowBundleBytes: number;
  listPageMsByParked: Record<string, { byScenario: number; byStatus: number }>;
  bulkRetry1000Ms: number | null;
  maxPayloadBytes: number;
  maxHistoryEvents: number;
  machine: Machine;
  quick: boolean;
  durationSec: number;
  goals: Record<string, { goal: string; met: boolean | null }>;
  notes: Record<string, string>;
  growthShapes: Record<string, Shape>;
  bulkRetry: {
    count: number;
    measuredMs: number;
    scaledTo1000: boolean;
    settledMs: number | null;
    byParked: Record<string, number>;
    /** The longest workflow task of the last bulk retry (goal ≤ 1 s; growth.ts). */
    longestWorkflowTask?: { ms: number; workflowId: string };
  } | null;
  workerSettings: BenchOptions['worker'];
  runOverhead: RunOverheadResult;
  parkCost: ParkCostResult;
  growth: GrowthResult;
  payloads: PayloadResult;
  webhookBurst?: WebhookBurstResult;
  mappingEval?: MappingEvalResult;
  outageStorm?: OutageStormResult;
}

export function buildResults(input: {
  options: BenchOptions;
  machine: Machine;
  durationSec: number;
  overhead: RunOverheadResult;
  park: ParkCostResult;
  growth: GrowthResult;
  payloads: PayloadResult;
  workflowBundleBytes: number;
  webhookBurst?: WebhookBurstResult;
  mappingEval?: MappingEvalResult;
  outageStorm?: OutageStormResult;
}): BenchResults {
  const { overhead, park, growth, payloads, options, webhookBurst, mappingEval, outageStorm } = input;
  const levels = growth.levels;
  const workerRssMbByParked: Record<string, number> = { '0': growth.baselineRssMb };
  const listPageMsByParked: BenchResults['listPageMsByParked'] = {};
  for (const level of levels) {
    workerRssMbByParked[String(level.parked)] = level.workerRssMb;
    listPageMsByParked[String(level.parked)] = {
      byScenario: level.listByScenarioMs.median,
      byStatus: level.listByStatusMs.median,
    };
  }
  const lastBulk = levels.at(-1)?.bulkRetry;
  const bulkRetry =
    lastBulk && lastBulk.count > 0
      ? {
          count: lastBulk.count,
          measuredMs: lastBulk.acceptedMs,
          scaledTo1000: lastBulk.count !== 1000,
          settledMs: lastBulk.settledMs,
          byParked: Object.fromEntries(levels.map((l) => [String(l.parked), l.bulkRetry.acceptedMs])),
          ...(lastBulk.longestWorkflowTask ? { longestWorkflowTask: lastBulk.longestWorkflowTask } : {}),
        }
      : null;
  const bulkRetry1000Ms = bulkRetry ? round((bulkRetry.measuredMs * 1000) / bulkRetry.count, 0) : null;
  const shapes = {
    workerRss: growthShape(levels.map((l) => [l.parked, l.workerRssMb])),
    listPageByScenario: growthShape(levels.map((l) => [l.parked, l.listByScenarioMs.median])),
    listPageByStatus: growthShape(levels.map((l) => [l.parked, l.listByStatusMs.median])),
    bulkRetry: growthShape(levels.map((l) => [l.parked, l.bulkRetry.acceptedMs / Math.max(1, l.bulkRetry.count)])),
    parkTimePerIe: growthShape(levels.map((l) => [l.parked, 1000 / Math.max(0.001, l.parkRatePerSec)])),
  };
  return {
    runOverheadRatio: overhead.runOverheadRatio,
    sequentialOverheadRatio: overhead.sequentialOverheadRatio,
    parkCostRatio: park.parkCostRatio,
    imexRunsPerSec: overhead.imex.runsPerSec.median,
    bareRunsPerSec: overhead.bare.runsPerSec.median,
    p50Ms: overhead.imex.p50Ms,
    p95Ms: overhead.imex.p95Ms,
    workerRssMbByParked,
    rssPerCachedWorkflowMb: growth.rssPerCachedWorkflowMb,
    rssPerCachedWorkflowFromStartMb: growth.rssPerCachedWorkflowFromStartMb,
    workflowBundleBytes: input.workflowBundleBytes,
    listPageMsByParked,
    bulkRetry1000Ms,
    maxPayloadBytes: payloads.maxPayloadBytes,
    maxHistoryEvents: payloads.maxHistoryEvents,
    machine: input.machine,
    quick: options.quick,
    durationSec: input.durationSec,
    goals: {
      runOverheadRatio: { goal: '>= 0.9', met: overhead.runOverheadRatio >= 0.9 },
      sequentialOverheadRatio: {
        goal: 'reported',
        met: overhead.sequentialOverheadRatio === null ? null : true,
      },
      parkCostRatio: { goal: '<= 1.5', met: park.parkCostRatio <= 1.5 },
      rssPerCachedWorkflowMb: {
        goal: '<= 1',
        met: growth.rssPerCachedWorkflowMb === null ? null : growth.rssPerCachedWorkflowMb <= 1,
      },
      workerRssFlat: { goal: 'flat', met: levels.length < 2 ? null : shapes.workerRss === 'flat' },
      ...(webhookBurst ? { webhookBurst: webhookBurstGoal(webhookBurst) } : {}),
      ...(outageStorm ? outageStormGoals(outageStorm) : {}),
    },
    notes: {
      parkCostRatio:
        "park: the failed module's final failure → the park's local-activity marker (IE durable, its workflow started); " +
        'module step: the workflow task that schedules it → its activity completed; ' +
        `against the module's activity alone the park is ${park.parkVsActivityRatio}x (parkCost.parkVsActivityRatio)`,
      sequentialOverheadRatio: overhead.sequentialNote,
      growth: `${growth.method}; ${growth.stopReason}`,
      bulkRetry1000Ms: bulkRetry
        ? bulkRetry.scaledTo1000
          ? `measured with ${bulkRetry.count} IEs at ${levels.at(-1)?.parked} parked and scaled linearly to 1,000 (${bulkRetry.measuredMs} ms measured)`
          : `1,000 IEs at ${levels.at(-1)?.parked} parked: POST /dlqs/retry until its operation completed (every attempt started)` +
            (lastBulk?.completed
              ? ''
              : `; NOT completed within the cap (${lastBulk?.accepted} accepted): a lower bound`)
        : 'not measured',
      rssPerCachedWorkflowMb:
        `(worker RSS at the first level with a full cache − RSS before parking) / workflows cached meanwhile ` +
        `(${growth.baselineCachedWorkflows} cached before, at most ${options.worker.maxCachedWorkflows}); ` +
        'an upper bound: it includes whatever else the worker grew by',
      latency: 'p50Ms / p95Ms: imex runs, client start → result, under the run-overhead concurrency',
    },
    growthShapes: shapes,
    bulkRetry,
    workerSettings: options.worker,
    runOverhead: overhead,
    parkCost: park,
    growth,
    payloads,
    ...(webhookBurst ? { webhookBurst } : {}),
    ...(mappingEval ? { mappingEval } : {}),
    ...(outageStorm ? { outageStorm } : {}),
  };
}

export function formatTable(r: BenchResults): string {
  const o = r.runOverhead;
  const rows: [string, string, string][] = [
    ['figure', 'value', 'goal'],
    ['runOverheadRatio (imex / bare runs/s)', fmt(r.runOverheadRatio), `>= 0.9 ${mark(r.goals.runOverheadRatio?.met)}`],
    ['  imex runs/s (min / median / max)', triple(o.imex.runsPerSec), ''],
    ['  bare runs/s (min / median / max)', triple(o.bare.runsPerSec), ''],
    ['  imex latency p50 / p95 ms', `${o.imex.p50Ms} / ${o.imex.p95Ms}`, ''],
    ['  bare latency p50 / p95 ms', `${o.bare.p50Ms} / ${o.bare.p95Ms}`, ''],
    ['  imex runs through a coordinator', String(o.imexViaCoordinator), ''],
    [
      'sequentialOverheadRatio',
      r.sequentialOverheadRatio === null ? 'null (see notes)' : fmt(r.sequentialOverheadRatio),
      '',
    ],
    ['parkCostRatio (park / module step)', fmt(r.parkCostRatio), `<= 1.5 ${mark(r.goals.parkCostRatio?.met)}`],
    ['  park ms (min / median / max)', triple(r.parkCost.parkMs), ''],
    ['  module step ms, with its workflow task (min / median / max)', triple(r.parkCost.moduleStepMs), ''],
    [
      '  module activity alone ms; park / it',
      `${triple(r.parkCost.moduleActivityMs)}; ${fmt(r.parkCost.parkVsActivityRatio)}`,
      '',
    ],
    [
      '  park = workflow task + park activity (median ms)',
      `${fmt(r.parkCost.madeOf.workflowTaskMs)} + ${fmt(r.parkCost.madeOf.activityMs)}`,
      '',
    ],
    [
      '  park made of (mean ms)',
      Object.entries(r.parkCost.madeOf.calls)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      '',
    ],
    ['  MongoDB commands per park', String(r.parkCost.madeOf.mongoCommands), ''],
    [
      '  parks/s into one org by concurrency',
      Object.entries(r.parkCost.throughputByConcurrency)
        .map(([c, v]) => `${c}: ${v}`)
        .join(', '),
      '',
    ],
    ...Object.entries(r.parkCost.parkCallsByConcurrency ?? {}).map(([c, calls]): [string, string, string] => [
      `  park calls at ${c} at once (mean ms)`,
      Object.entries(calls)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      '',
    ]),
  ];
  const cached = new Map(r.growth.levels.map((l) => [String(l.parked), l.cachedWorkflows]));
  for (const [count, rss] of Object.entries(r.workerRssMbByParked)) {
    const cache = cached.has(count) ? ` (${cached.get(count)} cached)` : '';
    rows.push([`worker RSS MB at ${count} parked`, `${rss}${cache}`, count === '0' ? '' : 'flat']);
  }
  rows.push([
    'RSS MB per cached workflow (cache full)',
    r.rssPerCachedWorkflowMb === null ? 'n/a (cache never full)' : fmt(r.rssPerCachedWorkflowMb),
    `<= 1 ${mark(r.goals.rssPerCachedWorkflowMb?.met)}`,
  ]);
  rows.push([
    '  from the worker start (upper bound)',
    r.rssPerCachedWorkflowFromStartMb === null ? 'n/a' : fmt(r.rssPerCachedWorkflowFromStartMb),
    '',
  ]);
  rows.push(['workflow bundle KB', fmt(Math.round(r.workflowBundleBytes / 1024)), '']);
  for (const [count, list] of Object.entries(r.listPageMsByParked)) {
    rows.push([`list page ms at ${count} (scenario / status)`, `${list.byScenario} / ${list.byStatus}`, '']);
  }
  rows.push([
    'bulkRetry1000Ms',
    r.bulkRetry1000Ms === null ? 'n/a' : String(r.bulkRetry1000Ms),
    r.bulkRetry?.scaledTo1000 ? `scaled from ${r.bulkRetry.count}` : '',
  ]);
  const longest = r.bulkRetry?.longestWorkflowTask;
  if (longest) {
    rows.push([
      '  longest workflow task of the bulk retry ms',
      `${longest.ms} (${longest.workflowId})`,
      longest.ms <= 1000 ? '<= 1000 (met)' : '<= 1000 (missed)',
    ]);
  }
  rows.push([
    'growth (rss / list scenario / list status / bulk / park time per IE)',
    Object.values(r.growthShapes).join(' / '),
    '',
  ]);
  if (r.webhookBurst) rows.push(...webhookBurstRows(r.webhookBurst));
  if (r.outageStorm) rows.push(...outageStormRows(r.outageStorm));
  rows.push(['maxPayloadBytes', String(r.maxPayloadBytes), '']);
  rows.push(['maxHistoryEvents', String(r.maxHistoryEvents), '']);
  rows.push([
    'machine',
    `${r.machine.cores} cores, ${r.machine.memoryMb} MB, load ${r.machine.loadAverageAtStart.join(' ')} → ${r.machine.loadAverageAtEnd.join(' ')}`,
    '',
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function fmt(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : String(n);
}

function triple(s: { min: number; median: number; max: number }): string {
  return `${s.min} / ${s.median} / ${s.max}`;
}

function mark(met: boolean | null | undefined): string {
  return met === true ? '(met)' : met === false ? '(missed)' : '';
}
