/**
 * The plain domain: functions, constants and types, without zod. This is what workflow code
 * imports (lint and test/unit/workflow-bundle.test.ts keep zod out of the workflow bundle: the SDK
 * evaluates the bundle again for every cached workflow, so each module here costs per workflow).
 *
 * - `errors`: Make's error categories and `ModuleError`, the error modules throw;
 * - `policy`: the policy table, each category → in-run retries and outcome (DESIGN.md §5);
 * - `retry-decision`: `decideInRunRetry` and `parkOutcome`, pure functions of that table;
 * - `schedule`: the incomplete executions' auto-retry schedule (Make's, or your own);
 * - `statuses`, `ids`: IE and run statuses, id formats and workflow ids;
 * - `blueprint`: Make's blueprint as types (the schema is schemas/blueprint.ts);
 * - `mapping`: the IML evaluator (`{{…}}` references, functions, operators; src/domain/iml);
 * - `filter`, `flow-control`: Make's filters, routers, error-handler routes and directives;
 * - `aggregation`: Make's aggregators (source module, scope, group-by);
 * - `search-attributes`: the keys runs and IEs are found by in the Temporal Web UI;
 * - `run`: what a scenario run takes and gives back;
 * - `incomplete-execution`, `incomplete-execution-requests`: the IE workflow's contract, and the
 *   check of the requests it takes (the same verdicts as their zod schemas);
 * - `ie-changes`: the IE's change log;
 * - `coordination`: the per-scenario coordinator's contract, scheduling and ids;
 * - `activity-timeouts`: the module activity's heartbeat and timeouts (bounded recovery after a crash).
 * - `json-keys`: the one check of user JSON's keys (`__proto__`, `$…`) wherever it enters.
 * - `data-structure`, `data-store-writes`: Make's data structures (typed record fields) and a run's
 *   staged data-store writes (net effect of a commit, a run's view of its own writes).
 * - `json-keys`: the one check of user JSON's keys (`__proto__`, `$…`) wherever it enters;
 * - `task-priority`: the task-queue priorities of IE work and bulk operations (below live runs);
 * - `connections`: Make's keychain types and their secrets' shapes (the store keeps them).
 * - `ie-query`, `bulk-query`: a query over an organization's IEs, and bulk operations by query.
 *
 * No I/O, no Node APIs and no zod (types from zod schemas come in as `import type` only).
 */
export * from './errors';
export * from './policy';
export * from './retry-decision';
export * from './schedule';
export * from './statuses';
export * from './ids';
export * from './mapping';
export * from './mapping-scope';
export * from './filter';
export * from './flow-control';
export * from './aggregation';
export * from './function-sleep';
export * from './run-variables';
export * from './blueprint';
export * from './search-attributes';
export * from './run';
export * from './incomplete-execution';
export * from './incomplete-execution-requests';
export * from './ie-details';
export * from './ie-changes';
export * from './coordination';
export * from './activity-timeouts';
export * from './json-keys';
export * from './data-structure';
export * from './data-store-writes';
export * from './task-priority';
export * from './connections';
export * from './ie-query';
export * from './bulk-query';
