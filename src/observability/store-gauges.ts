/**
 * Gauges read from the store when Prometheus scrapes: IEs by organization, scenario, status and
 * error type; quota used and limit per organization; webhook queue depth per scenario; bulk
 * operations in flight; the last maintenance run.
 *
 * The aggregates scan the IEs: milliseconds on MongoDB, but seconds to minutes on FerretDB with
 * tens of thousands of IEs (measured: 1.4 s for 1,000, 11 s for 10,000 on a loaded two-core
 * machine). So a scrape never waits long for them: one read serves every scrape within `ttlMs`;
 * a scrape that finds the figures older starts a read in the background and waits at most
 * `scrapeWaitMs` for it, answering with the figures it has otherwise; and reads are spaced so the
 * store spends at most a tenth of its time on them (a read that took 10 s is not repeated within
 * 90 s). While the store cannot be read the last figures stay and `imex_store_figures_up` says 0;
 * `imex_store_figures_timestamp_seconds` says how old they are.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Gauge, Registry } from 'prom-client';
import type { Store } from '../store';
import { readOperationalFigures, type OperationalFigures } from '../store/operational-figures';

export const STORE_FIGURES_TTL_MS = 15_000;
/** How long a scrape waits for a read in flight before it answers with the figures it has. */
export const STORE_FIGURES_SCRAPE_WAIT_MS = 2_000;
/** At most this share of the time is spent reading the figures. */
const MAX_READ_SHARE = 0.1;

export interface StoreGauges {
  registry: Registry;
}

export function createStoreGauges(store: Store, options: { ttlMs?: number; scrapeWaitMs?: number } = {}): StoreGauges {
  const ttlMs = options.ttlMs ?? STORE_FIGURES_TTL_MS;
  const scrapeWaitMs = options.scrapeWaitMs ?? STORE_FIGURES_SCRAPE_WAIT_MS;
  const registry = new Registry();
  const registers = [registry];
  let last: { figures: OperationalFigures; at: number } | undefined;
  let reading: Promise<void> | undefined;
  let up = 0;
  let lastReadMs = 0;
  let lastReadEndedAt = 0;

  function read(): Promise<void> {
    const started = Date.now();
    reading ??= readOperationalFigures(store)
      .then((figures) => {
        last = { figures, at: Date.now() };
        up = 1;
      })
      .catch(() => {
        up = 0;
      })
      .finally(() => {
        lastReadEndedAt = Date.now();
        lastReadMs = lastReadEndedAt - started;
        reading = undefined;
      });
    return reading;
  }

  /** The freshest figures there are, read again when they are older than the TTL. */
  async function figures(): Promise<OperationalFigures | undefined> {
    const now = Date.now();
    const stale = !last || now - last.at >= ttlMs;
    const rested = now - lastReadEndedAt >= (lastReadMs * (1 - MAX_READ_SHARE)) / MAX_READ_SHARE;
    if (stale && rested) void read();
    if (reading) await Promise.race([reading, sleep(scrapeWaitMs, undefined, { ref: false })]);
    return last?.figures;
  }

  new Gauge({
    name: 'imex_store_figures_up',
    help: 'Whether the last read of the store figures succeeded (0: the gauges below are stale)',
    registers,
    async collect() {
      await figures();
      this.set(up);
    },
  });
  new Gauge({
    name: 'imex_store_figures_timestamp_seconds',
    help: 'When the store figures below were read (Unix time; 0 before the first read)',
    registers,
    async collect() {
      await figures();
      this.set(last ? last.at / 1000 : 0);
    },
  });
  new Gauge({
    name: 'imex_store_figures_read_duration_seconds',
    help: 'How long the last read of the store figures took',
    registers,
    async collect() {
      await figures();
      this.set(lastReadMs / 1000);
    },
  });
  new Gauge({
    name: 'imex_incomplete_executions',
    help: 'Incomplete executions that are not deleted, by organization, scenario, status and error type',
    labelNames: ['org_id', 'scenario_id', 'status', 'error_type'] as const,
    registers,
    async collect() {
      const f = await figures();
      this.reset();
      for (const g of f?.incompleteExecutions ?? []) {
        this.set(
          { org_id: String(g.orgId), scenario_id: String(g.scenarioId), status: g.status, error_type: g.errorType },
          g.count,
        );
      }
    },
  });
  new Gauge({
    name: 'imex_quota_used_bytes',
    help: "Bytes of an organization's open (unresolved, undeleted) incomplete executions: what its quota counts",
    labelNames: ['org_id'] as const,
    registers,
    async collect() {
      const f = await figures();
      this.reset();
      for (const q of f?.quota ?? []) this.set({ org_id: String(q.orgId) }, q.usedBytes);
    },
  });
  new Gauge({
    name: 'imex_quota_limit_bytes',
    help: "An organization's incomplete-executions storage limit (listed for organizations with open IEs)",
    labelNames: ['org_id'] as const,
    registers,
    async collect() {
      const f = await figures();
      this.reset();
      for (const q of f?.quota ?? []) this.set({ org_id: String(q.orgId) }, q.limitBytes);
    },
  });
  new Gauge({
    name: 'imex_webhook_queue_depth',
    help: 'Webhook payloads accepted and not yet handed to a run, per scenario (scenarios with none are not listed)',
    labelNames: ['scenario_id'] as const,
    registers,
    async collect() {
      const f = await figures();
      this.reset();
      for (const q of f?.webhookQueueDepth ?? []) this.set({ scenario_id: String(q.scenarioId) }, q.queued);
    },
  });
  new Gauge({
    name: 'imex_bulk_operations_in_flight',
    help: 'Bulk retry and delete operations not finished yet, by kind',
    labelNames: ['kind'] as const,
    registers,
    async collect() {
      const f = await figures();
      this.reset();
      for (const kind of ['retry', 'delete']) this.set({ kind }, 0);
      for (const b of f?.bulkOperationsInFlight ?? []) this.set({ kind: b.kind }, b.count);
    },
  });
  new Gauge({
    name: 'imex_maintenance_last_run_timestamp_seconds',
    help: 'When the last maintenance run finished (Unix time; 0 before the first)',
    registers,
    async collect() {
      const m = (await figures())?.maintenance;
      this.reset();
      if (m) this.set(m.lastRunAt.getTime() / 1000);
    },
  });
  new Gauge({
    name: 'imex_maintenance_last_run_findings',
    help: 'What the last maintenance run found that needs a person: errors, orphan_workflows, stuck',
    labelNames: ['kind'] as const,
    registers,
    async collect() {
      const m = (await figures())?.maintenance;
      this.reset();
      if (!m) return;
      this.set({ kind: 'errors' }, m.errors);
      this.set({ kind: 'orphan_workflows' }, m.orphanWorkflows);
      this.set({ kind: 'stuck' }, m.stuck);
    },
  });
  return { registry };
}
