/**
 * imex's workflows (deterministic; bundled by the Temporal SDK):
 *
 * - `scenarioRun`: one execution of a scenario, or an attempt of an incomplete execution;
 * - `incompleteExecution`: one per parked bundle, waiting on Make's auto-retry schedule or a person;
 * - `maintenance`: purge and reconcile, started by the `imex-maintenance` schedule;
 * - `bulkOperation`: a bulk retry or delete of IEs, a durable verdict per IE;
 * - `bulkQueryOperation`: a bulk retry or delete of the IEs a query matches, across scenarios;
 * - `scenarioCoordinator`: one per scenario, starts its runs and hands out attempt slots;
 * - `scenarioScheduleTick`: a scenario's Temporal Schedule hands each occurrence to the coordinator;
 * - `alertDigest`: one per organization and alert window, delivers the window's digest.
 */
export { scenarioRun } from './scenario-run';
export { incompleteExecution } from './incomplete-execution';
export { maintenance } from './maintenance';
export { bulkOperation } from './bulk-operation';
export { bulkQueryOperation } from './bulk-query-operation';
export { scenarioCoordinator } from './scenario-coordinator';
export { scenarioScheduleTick } from './scenario-schedule-tick';
export { alertDigest } from './alert-digest';
