/**
 * Make's Sleep (`util:FunctionSleep`) in a run: a durable workflow timer, not an activity that
 * holds a worker slot (src/domain/function-sleep.ts). It counts as the module's operation and is
 * logged as one; a delay outside 1–300 s is the module's DataError, handled like any failure.
 */
import { sleep } from '@temporalio/workflow';
import {
  sleepDurationMs,
  type BlueprintModule,
  type BundleOrRef,
  type ModuleLogEntry,
  type RunError,
} from '../src/domain/plain';
import type { Operation } from './run-control';

export async function sleepOperation(
  module: BlueprintModule,
  mapped: BundleOrRef,
  bundleIndex: number,
  operationStart: number,
  addLog: (entry: ModuleLogEntry, output?: BundleOrRef[]) => void,
): Promise<Operation> {
  const duration = sleepDurationMs(mapped);
  const startedAt = new Date(operationStart).toISOString();
  const entry = { moduleId: module.id, module: module.module, bundleIndex, startedAt };
  if ('error' in duration) {
    const error: RunError = { type: 'DataError', message: duration.error, moduleId: module.id };
    addLog({ ...entry, durationMs: 0, status: 'error', errorType: error.type, message: error.message });
    return { ok: false, error, bundleIndex };
  }
  await sleep(duration.ms);
  addLog({ ...entry, durationMs: Date.now() - operationStart, status: 'success', outputCount: 1 }, [{}]);
  return { ok: true, bundles: [{}], bundleIndex };
}
