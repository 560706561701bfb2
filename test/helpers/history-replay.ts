/**
 * Replaying workflow histories against the current code (DESIGN.md §8), and adding them to the
 * replay fixtures (test/fixtures/histories/, which replay.test.ts replays all of) when
 * `IMEX_RECORD_HISTORIES=1`. Add-only: a recorded history is the past; overwriting it would hide a break.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { DataConverter } from '@temporalio/common';
import { imexWorkflowBundle } from './imex-harness';

export const HISTORY_FIXTURES = path.resolve(__dirname, '../fixtures/histories');

/** Each history that does not replay, as `<workflowId>: <why>`; empty when all do. */
export async function replayFailures(
  histories: { workflowId: string; history: unknown }[],
  options: { replayName: string; dataConverter?: DataConverter },
): Promise<string[]> {
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await imexWorkflowBundle(), ...options },
    histories.map(({ workflowId, history }) => ({ workflowId, history: history as never })),
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return failures;
}

/** With `IMEX_RECORD_HISTORIES=1`, writes `<name>.history.pb` for each history not recorded yet. */
export function recordHistoryFixtures(histories: { name: string; history: temporal.api.history.v1.IHistory }[]): void {
  if (process.env.IMEX_RECORD_HISTORIES !== '1') return;
  fs.mkdirSync(HISTORY_FIXTURES, { recursive: true });
  for (const { name, history } of histories) {
    const file = path.join(HISTORY_FIXTURES, `${name}.history.pb`);
    // Binary protobuf: exact, and independent of JSON conventions between SDK versions.
    if (!fs.existsSync(file)) fs.writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
  }
}
