/**
 * Parking without a run: imex's own park activity (`parkIncompleteExecution`, the code a run
 * calls when a module fails) called directly, as the parking scenario's run would call it for a
 * DataError at module 3. Each call makes a real IE document (quota reserved, bundles and
 * blueprint stored) and starts a real `incompleteExecution` workflow, which the bench worker runs.
 */
import crypto from 'node:crypto';
import { createIncompleteExecutionActivities } from '../activities/incomplete-executions';
import { makeRetrySchedule, type Blueprint } from '../src/domain';
import { createDefaultRegistry } from '../src/modules';
import type { BenchContext } from './context';
import { PARKING_FAILER } from './scenarios';

/** Returns a function that parks the i-th IE of the scenario and resolves to its id. */
export function directParker(
  ctx: BenchContext,
  orgId: number,
  scenarioId: number,
  blueprint: Blueprint,
): (i: number) => Promise<string> {
  const { parkIncompleteExecution } = createIncompleteExecutionActivities({
    store: ctx.store,
    registry: createDefaultRegistry(),
    client: ctx.client,
    taskQueue: ctx.imexTaskQueue,
    schedule: makeRetrySchedule,
  });
  return async (i) => {
    const text = `not JSON #${i}`;
    const output = await parkIncompleteExecution({
      orgId,
      scenarioId,
      scenarioName: blueprint.name,
      executionId: crypto.randomBytes(16).toString('hex'),
      blueprint,
      failed: {
        failer: PARKING_FAILER,
        bundleIndex: 0,
        context: { '1': { text }, '2': { text } },
        error: {
          type: 'DataError',
          message: `Source is not valid JSON: Unexpected token 'o', "${text}" is not valid JSON`,
          moduleId: PARKING_FAILER,
        },
        outcome: 'park-manual',
      },
    });
    const ieId = output.parked?.ieId;
    if (!ieId) throw new Error(`parking failed: ${output.stopRun ?? output.parked?.discarded}`);
    return ieId;
  };
}
