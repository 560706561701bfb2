import type { ExecutionRecordInput } from '../src/domain';
import type { ExecutionStore } from '../src/store';

/** Writes a finished run to the executions store (idempotent by execution id). */
export function createRecordExecution(executions: ExecutionStore) {
  return async function recordExecution(record: ExecutionRecordInput): Promise<void> {
    const startedAt = new Date(record.startedAt);
    const endedAt = new Date(record.endedAt);
    await executions.record({
      ...record,
      startedAt,
      endedAt,
      durationMs: endedAt.getTime() - startedAt.getTime(),
    });
  };
}
