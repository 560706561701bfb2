/** What the HTTP API needs from the rest of imex: it only translates HTTP to these calls. */
import type { ModuleLookup } from '../domain';
import type { Logger } from '../logger';
import type { Store } from '../store';

/**
 * The part of `ImexClient` (src/temporal/client.ts) the API uses, so tests and the API do not
 * depend on how runs are started. `startScenarioRun` throws an error named
 * `ScenarioNotRunnableError`, with a `reason`, when the scenario may not run.
 */
export interface ApiImexClient {
  startScenarioRun(input: {
    orgId: number;
    scenarioId: number;
    data?: unknown;
    trigger?: 'manual' | 'webhook' | 'schedule';
  }): Promise<{ executionId: string; workflowId: string }>;
}

export interface ApiDeps {
  store: Store;
  imex: ApiImexClient;
  /** Module types blueprints are validated against: the worker's registry. */
  registry: ModuleLookup;
  logger: Logger;
}
