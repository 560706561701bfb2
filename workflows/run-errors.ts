import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import { isErrorCategory, type RunError } from '../src/domain/plain';

/**
 * The Make error a failed module activity ended with. The module activity names the category as
 * the ApplicationFailure's type; a timeout Temporal enforced is a ModuleTimeoutError; anything
 * else (a worker bug) is an UnexpectedError, which waits for a person rather than being lost.
 * Returns undefined for what is not a module failure (cancellation), which the caller rethrows.
 */
export function runErrorFromActivityFailure(err: unknown, moduleId: number): RunError | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    return { type: isErrorCategory(cause.type) ? cause.type : 'UnexpectedError', message: cause.message, moduleId };
  }
  if (cause instanceof TimeoutFailure) {
    return { type: 'ModuleTimeoutError', message: `module ${moduleId} timed out (${cause.timeoutType})`, moduleId };
  }
  return { type: 'UnexpectedError', message: cause?.message ?? err.message, moduleId };
}
