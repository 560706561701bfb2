/**
 * imex's pure domain: the one truth that workflows, activities and services share.
 *
 * - `errors`: Make's error categories and `ModuleError`, the error modules throw;
 * - `policy`: the policy table, each category → in-run retries and outcome (DESIGN.md §5);
 * - `retry-decision`: `decideInRunRetry` and `parkOutcome`, pure functions of that table;
 * - `schedule`: the incomplete executions' auto-retry schedule (Make's, or your own);
 * - `statuses`, `ids`: IE and run statuses, id formats and workflow ids;
 * - `blueprint`, `validate-blueprint`: Make's blueprint in zod, and whether imex can run it;
 * - `mapping`: the `{{<moduleId>.<path>}}` evaluator;
 * - `filter`, `flow-control`: Make's filters, routers, error-handler routes and directives;
 * - `search-attributes`: the keys runs and IEs are found by in the Temporal Web UI;
 * - `run`: what a scenario run takes and gives back;
 * - `coordination`: the per-scenario coordinator's contract, scheduling and ids;
 * - `activity-timeouts`: the module activity's heartbeat and timeouts (bounded recovery after a crash).
 * - `json-keys`: the one check of user JSON's keys (`__proto__`, `$…`) wherever it enters.
 *
 * No I/O and no Node APIs, so workflow code may import all of it.
 */
export * from './errors';
export * from './policy';
export * from './retry-decision';
export * from './schedule';
export * from './statuses';
export * from './ids';
export * from './mapping';
export * from './filter';
export * from './flow-control';
export * from './blueprint';
export * from './validate-blueprint';
export * from './search-attributes';
export * from './run';
export * from './incomplete-execution';
export * from './ie-changes';
export * from './coordination';
export * from './activity-timeouts';
export * from './json-keys';
