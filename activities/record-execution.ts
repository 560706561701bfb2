import type { ExecutionRecordInput } from '../src/domain';
import type { OperatorEvents } from '../src/observability/operator-events';
import type { ExecutionStore } from '../src/store';

/** Writes a finished run to the executions store (idempotent by execution id), then counts and logs it. */
export function createRecordExecution(executions: ExecutionStore, events?: OperatorEvents) {
  return async function recordExecution(record: ExecutionRecordInput): Promise<void> {
    const startedAt = new Date(record.startedAt);
    const endedAt = new Date(record.endedAt);
    await executions.record({
      ...record,
      startedAt,
      endedAt,
      durationMs: endedAt.getTime() - startedAt.getTime(),
    });
    events?.runFinished({
      orgId: record.orgId,
      scenarioId: record.scenarioId,
      executionId: record.executionId,
      ...(record.ieId ? { ieId: record.ieId } : {}),
      status: record.status,
      trigger: record.trigger,
      ...(record.error ? { errorType: record.error.type } : {}),
    });
  };
}
