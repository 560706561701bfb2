/**
 * Bulk by query (`--only bulk-query`; also in the full run): N IEs parked across 2 scenarios by
 * imex's park activity (`park-directly.ts`: real IE documents and workflows), then one bulk delete
 * by query over all of them through the real API (`POST /dlqs/operations`), followed with
 * `GET /dlqs/operations/{id}` until the ledger is complete. Reported: the time to complete the
 * ledger, IEs per second, the verdicts, and the worker's RSS before, at its highest while the
 * operation ran (sampled at each look) and after: flat, as the workflow pages the query and never
 * holds the ids.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDefaultRegistry } from '../src/modules';
import { startBenchApi } from './api';
import type { BenchContext } from './context';
import { directParker } from './park-directly';
import { assertValid, parkingBlueprint } from './scenarios';
import { round, runConcurrently } from './stats';

export interface BulkQueryResult {
  ies: number;
  parkingMs: number;
  /** POST → every IE with a verdict (state completed). */
  ledgerMs: number | null;
  iesPerSec: number | null;
  matched: number;
  applied: number;
  skipped: number;
  failed: number;
  state: string;
  workerRssMb: { before: number; max: number; after: number };
}

interface OperationView {
  operation: { id: string; state: string; matched: number; applied: number; skipped: number; failed: number };
}

const POLL_MS = 250;

export async function measureBulkQuery(ctx: BenchContext): Promise<BulkQueryResult> {
  const { options, store, worker, say } = ctx;
  const { ies, parkConcurrency, capMs } = options.bulkQuery;
  const blueprint = assertValid(parkingBlueprint(), createDefaultRegistry());
  const scenarios = await Promise.all(
    [1, 2].map((n) => store.scenarios.create({ orgId: ctx.orgId, name: `bench: bulk query ${n}`, blueprint })),
  );
  const parkers = scenarios.map((s) => directParker(ctx, ctx.orgId, s.id, blueprint));
  say(`bulk-query: parking ${ies} IEs across 2 scenarios`);
  const parkStarted = performance.now();
  await runConcurrently(ies, parkConcurrency, async (i) => {
    await parkers[i % 2]!(i);
  });
  const parkingMs = performance.now() - parkStarted;
  const api = await startBenchApi(store, ctx.imex, ctx.orgId);
  try {
    await sleep(1000);
    const mb = (bytes: number) => round(bytes / 2 ** 20, 1);
    const before = mb((await worker.memory()).rss);
    let max = before;
    say(`bulk-query: parked in ${Math.round(parkingMs / 1000)} s; deleting them by query`);
    const started = performance.now();
    const answer = await api.call<OperationView>(
      'POST',
      '/dlqs/operations',
      { action: 'delete', query: { scenarioIds: scenarios.map((s) => s.id) } },
      [202],
    );
    let view = answer.body.operation;
    let ledgerMs: number | null = null;
    for (;;) {
      max = Math.max(max, mb((await worker.memory()).rss));
      if (view.state === 'completed') {
        ledgerMs = performance.now() - started;
        break;
      }
      if (performance.now() - started > capMs) break;
      await sleep(POLL_MS);
      view = (await api.call<OperationView>('GET', `/dlqs/operations/${view.id}`)).body.operation;
    }
    const after = mb((await worker.memory()).rss);
    const done = view.applied + view.skipped + view.failed;
    return {
      ies,
      parkingMs: round(parkingMs, 0),
      ledgerMs: ledgerMs === null ? null : round(ledgerMs, 0),
      iesPerSec: ledgerMs === null ? null : round(done / (ledgerMs / 1000), 1),
      matched: view.matched,
      applied: view.applied,
      skipped: view.skipped,
      failed: view.failed,
      state: view.state,
      workerRssMb: { before, max, after },
    };
  } finally {
    await api.close();
  }
}

export function formatBulkQuery(r: BulkQueryResult): string {
  const ledger =
    r.ledgerMs === null ? `not complete within the cap (${r.state})` : `${(r.ledgerMs / 1000).toFixed(1)} s`;
  return [
    `bulk by query: ${r.ies} IEs across 2 scenarios (parked in ${(r.parkingMs / 1000).toFixed(1)} s)`,
    `  delete by query, ledger complete: ${ledger}${r.iesPerSec === null ? '' : `, ${r.iesPerSec} IEs/s`}`,
    `  verdicts: ${r.applied} applied, ${r.skipped} skipped, ${r.failed} failed of ${r.matched} matched`,
    `  worker RSS: ${r.workerRssMb.before} MB before, ${r.workerRssMb.max} MB at most, ${r.workerRssMb.after} MB after`,
  ].join('\n');
}
