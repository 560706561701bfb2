/**
 * Gauges read from the store when Prometheus scrapes: IEs by organization, scenario, status and
 * error type; quota used and limit per organization; webhook queue depth per scenario; bulk
 * operations in flight; the last maintenance run. One read of the aggregates serves every scrape
 * within `ttlMs`, and scrapes that arrive together share it; while the store cannot be read the
 * last figures stay and `imex_store_figures_up` says 0.
 */
import { Gauge, Registry } from 'prom-client';
import type { Store } from '../store';
import { readOperationalFigures, type OperationalFigures } from '../store/operational-figures';

export const STORE_FIGURES_TTL_MS = 15_000;

export interface StoreGauges {
  registry: Registry;
}

export function createStoreGauges(store: Store, options: { ttlMs?: number } = {}): StoreGauges {
  const ttlMs = options.ttlMs ?? STORE_FIGURES_TTL_MS;
  const registry = new Registry();
  const registers = [registry];
  let last: { figures: OperationalFigures; at: number } | undefined;
  let reading: Promise<void> | undefined;
  let up = 0;

  /** The figures, read again when older than the TTL (one read at a time). */
  async function figures(): Promise<OperationalFigures | undefined> {
    if (!last || Date.now() - last.at >= ttlMs) {
      reading ??= readOperationalFigures(store)
        .then((figures) => {
          last = { figures, at: Date.now() };
          up = 1;
        })
        .catch(() => {
          up = 0;
        })
        .finally(() => {
          reading = undefined;
        });
      await reading;
    }
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
