/** What the HTTP API needs from the rest of imex: it only translates HTTP to these calls. */
import type { ModuleLookup } from '../domain';
import type { Logger } from '../logger';
import type { ReadinessCheck } from '../observability/readiness';
import type { TemporalMetricsSource } from '../observability/temporal-metrics';
import type { Tracer } from '@opentelemetry/api';
import type { Store } from '../store';
import type { ImexClient } from '../temporal/client';
import type { CodecServerOptions } from './routes/codec';

/**
 * The part of `ImexClient` the API uses (tests may pass a stand-in). `startScenarioRun` throws
 * `ScenarioNotRunnableError` (with a `reason`) when the scenario may not run; the requests on
 * incomplete executions throw `RequestRejectedError` (with a `reason`): the API answers 409.
 */
export type ApiImexClient = Pick<
  ImexClient,
  | 'startScenarioRun'
  | 'scenarioRunResult'
  | 'requestIncompleteExecution'
  | 'deleteIncompleteExecution'
  | 'startBulkOperation'
  | 'startBulkQueryOperation'
  | 'controlBulkQueryOperation'
>;

export interface ApiDeps {
  store: Store;
  imex: ApiImexClient;
  /** Module types blueprints are validated against: the worker's registry. */
  registry: ModuleLookup;
  logger: Logger;
  /**
   * Bulk retry and delete answer with the verdicts when the batch has at most `maxIds` IEs
   * (default 100) and finishes within `timeoutMs` (default 20 s); otherwise 202 with the operation.
   */
  bulkWait?: { maxIds?: number; timeoutMs?: number };
  /** `POST /hooks/<hookId>` (without it, hooks answer 404). */
  webhooks?: Pick<ImexClient, 'acceptWebhook'> & Partial<Pick<ImexClient, 'awaitWebhookResponse'>>;
  /** How long a hook's caller waits for the answer a `gateway:WebhookRespond` sets (default 5 minutes, Make's). */
  webhookResponseWaitMs?: number;
  /** Keeps a scenario's Temporal Schedule and coordinator in line after it changes (start, stop, PATCH). */
  triggers?: Pick<ImexClient, 'syncScenarioTriggers'>;
  /** `POST /codec/encode` and `/codec/decode` for the Temporal Web UI and CLI (without it, 404). */
  codecServer?: CodecServerOptions;
  /** `/metrics` and `/health/*` (routes/operations.ts); without it, readiness checks the store only. */
  operations?: ApiOperations;
}

export interface ApiOperations {
  /** What `/health/ready` checks (default: the store). */
  readiness?: ReadinessCheck[];
  /** The Temporal SDK's runtime metrics, appended to `/metrics` (a process that runs a worker). */
  temporalMetrics?: TemporalMetricsSource;
  /**
   * Serve the store figures (IEs by organization, scenario, status; quota) on `/metrics` (default
   * true). They are the same whichever process reads them, so a worker running alone leaves them
   * to the API processes: N workers would report every figure N times.
   */
  storeFigures?: boolean;
  /** How long store figures are reused between scrapes (default 15 s). */
  storeFiguresTtlMs?: number;
  /** Set when tracing is on: every request gets a server span (request-tracing.ts). */
  tracer?: Tracer;
}
