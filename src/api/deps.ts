/** What the HTTP API needs from the rest of imex: it only translates HTTP to these calls. */
import type { ModuleLookup } from '../domain';
import type { Logger } from '../logger';
import type { Store } from '../store';
import type { ImexClient } from '../temporal/client';

/**
 * The part of `ImexClient` the API uses (tests may pass a stand-in). `startScenarioRun` throws
 * `ScenarioNotRunnableError` (with a `reason`) when the scenario may not run; the API answers 409.
 * The dlqs routes will add the incomplete-execution requests to this pick.
 */
export type ApiImexClient = Pick<ImexClient, 'startScenarioRun'>;

export interface ApiDeps {
  store: Store;
  imex: ApiImexClient;
  /** Module types blueprints are validated against: the worker's registry. */
  registry: ModuleLookup;
  logger: Logger;
}
