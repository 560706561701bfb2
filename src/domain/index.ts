/**
 * imex's pure domain: the one truth that workflows, activities and services share.
 *
 * - plain.ts: functions, constants and types (no zod): what workflow code imports;
 * - schemas/: the zod schemas (blueprint, requests, settings, ids …) and `validateBlueprint`,
 *   for the code that validates input (API, config, module registry, activities);
 * - scenario-scheduling.ts: Make's `scheduling` as a Temporal Schedule spec.
 *
 * This barrel offers both, for everything but workflow code. No I/O and no Node APIs.
 */
export * from './plain';
export * from './schemas';
// Not in plain.ts: only the API and the client map schedules, never workflow code.
export * from './scenario-scheduling';
// Pure, but never needed by workflow code: kept out of its bundle.
export * from './retry-plan';
export * from './blueprint-diff';
export * from './order-key';
