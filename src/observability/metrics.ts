/**
 * imex's own Prometheus metrics of this process (prom-client), counted where things happen: the
 * worker's activities count parks, attempts, requests and runs; the API counts webhooks and HTTP
 * requests. One registry per process, so a process that runs both (npm start) serves them all on
 * one `/metrics`. Figures read from the store at scrape time live in store-gauges.ts.
 *
 * Labels stay bounded: categories, statuses, kinds, route patterns and scenario ids (for webhook
 * outcomes); never an IE's or an execution's id.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type ParkOutcome = 'stored' | 'already_closed' | 'discarded' | 'refused_quota_full';
export type AttemptOutcome = 'resolved' | 'failed' | 'not_run';
export type WebhookOutcome = 'accepted' | 'replayed' | 'queue_full' | 'inactive';
export type MaintenanceResult = 'clean' | 'repaired' | 'attention';

function createImexMetrics() {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    parks: new Counter({
      name: 'imex_ie_parks_total',
      help: 'Failed bundles a run parked, by error type and outcome (stored as an IE, already closed, discarded under data loss, refused: quota full)',
      labelNames: ['error_type', 'outcome'] as const,
      registers,
    }),
    attemptsStarted: new Counter({
      name: 'imex_ie_attempts_started_total',
      help: 'Attempts of incomplete executions that began (their data was read for the run)',
      registers,
    }),
    attemptOutcomes: new Counter({
      name: 'imex_ie_attempt_outcomes_total',
      help: 'Finished attempts: resolved, failed (error_type: the new error), or not_run (nothing stored to run with)',
      labelNames: ['outcome', 'error_type'] as const,
      registers,
    }),
    requests: new Counter({
      name: 'imex_ie_requests_total',
      help: 'Requests applied to incomplete executions (retry, resolve, patch, delete) by who asked: an API token, or a Temporal signal or update',
      labelNames: ['kind', 'actor'] as const,
      registers,
    }),
    runs: new Counter({
      name: 'imex_runs_total',
      help: 'Scenario runs that finished, by status (success, warning, error) and trigger (manual, webhook, schedule, attempt)',
      labelNames: ['status', 'trigger'] as const,
      registers,
    }),
    maintenanceRuns: new Counter({
      name: 'imex_maintenance_runs_total',
      help: 'Maintenance passes this worker finished: clean, repaired something, or found something that needs a person',
      labelNames: ['result'] as const,
      registers,
    }),
    maintenanceRepairs: new Counter({
      name: 'imex_maintenance_repairs_total',
      help: 'What maintenance repaired or found, by kind (purged, blobs_deleted, webhooks_woken, quota_repairs, workflows_restarted, closed, resynced, orphan_workflows, stuck, errors)',
      labelNames: ['kind'] as const,
      registers,
    }),
    quotaDrift: new Counter({
      name: 'imex_maintenance_quota_drift_bytes_total',
      help: 'Bytes the quota ledger had charged wrongly (either way) and maintenance corrected',
      registers,
    }),
    webhooks: new Counter({
      name: 'imex_webhooks_total',
      help: 'Webhook payloads by scenario and outcome (accepted, replayed for an Idempotency-Key, queue_full = answered 429, inactive = 409)',
      labelNames: ['scenario_id', 'outcome'] as const,
      registers,
    }),
    httpRequests: new Counter({
      name: 'imex_http_requests_total',
      help: 'HTTP requests the API answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'imex_http_request_duration_seconds',
      help: 'Time the API took to answer, by method and route pattern',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

export type ImexMetrics = ReturnType<typeof createImexMetrics>;

let processMetrics: ImexMetrics | undefined;

/** This process's metrics (created on first use). */
export function imexMetrics(): ImexMetrics {
  processMetrics ??= createImexMetrics();
  return processMetrics;
}
