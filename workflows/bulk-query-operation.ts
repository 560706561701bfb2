/**
 * `bulkQueryOperation`: a bulk retry or delete of the IEs an IE query matches, across the
 * organization's scenarios (workflow id `bulkq-<operationId>`), started by `POST /dlqs/operations`.
 *
 * The history never holds the IEs: each page activity reads the next page of the query itself, by
 * a stable cursor (created, id) below the operation's upper bound, writes a verdict per IE to the
 * ledger, and answers only where it got to. Continue-as-new every `pagesPerRun` pages carries the
 * cursor and the state. Pause, resume and cancel are updates: checked against the state here,
 * then written to the operation document (the API reads the state from there); a page under way
 * stops taking new IEs when it sees the state change in the store.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { ImexActivities } from '../activities';
import {
  bulkQueryControlRefusal,
  bulkQueryTransitions,
  type BulkQueryAction,
  type BulkQueryCursor,
  type BulkQueryState,
} from '../src/domain/bulk-query';
import { bulkQueryControlUpdate } from './bulk-query-operation-messages';
import type { BulkRequestNote } from './bulk-operation';

export interface BulkQueryOperationRequest {
  /** 32 hex; the operation's id in the API and the store (which holds its query). */
  operationId: string;
  orgId: number;
  action: BulkQueryAction;
  /** Who asked and why: each IE's change log records them. */
  note?: BulkRequestNote;
}

export interface BulkQueryOperationInput {
  request: BulkQueryOperationRequest;
  /** Where the previous run got to (continue-as-new). */
  cursor?: BulkQueryCursor;
  /** The state the previous run ended in (running or paused). */
  state?: BulkQueryState;
  /** IEs per page activity (default 50). */
  pageSize?: number;
  /** Attempts this operation keeps in flight per scenario (default 3, Make's limit). */
  perScenario?: number;
  /** IEs handled at the same time within a page (default 10). */
  concurrency?: number;
  /** Pages before continuing as new (default 50). */
  pagesPerRun?: number;
}

const bulk = proxyActivities<ImexActivities>({
  // A page of retries waits for the attempts it starts (3 at a time per scenario): generous.
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  // Idempotent steps: retry through outages rather than drop the rest of the operation.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function bulkQueryOperation(input: BulkQueryOperationInput): Promise<BulkQueryState> {
  const { request } = input;
  let state: BulkQueryState = input.state ?? 'running';
  let cursor = input.cursor;

  // State writes go one after the other, in the order the moves were accepted.
  let written: Promise<void> = Promise.resolve();
  setHandler(
    bulkQueryControlUpdate,
    async (control) => {
      const next = bulkQueryTransitions[control].to;
      state = next;
      written = written.then(() => bulk.setBulkQueryState({ operationId: request.operationId, state: next }));
      await written;
      return next;
    },
    {
      validator: (control) => {
        const refusal = bulkQueryControlRefusal(state, control);
        if (refusal) throw new Error(refusal);
      },
    },
  );

  for (let pages = 0; ; pages++) {
    await condition(() => state !== 'paused');
    if (state === 'cancelled') break;
    if (pages >= (input.pagesPerRun ?? 50)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof bulkQueryOperation>({ ...input, ...(cursor ? { cursor } : {}), state });
    }
    const page = await bulk.processBulkQueryPage({
      operationId: request.operationId,
      action: request.action,
      ...(cursor ? { cursor } : {}),
      pageSize: input.pageSize ?? 50,
      perScenario: input.perScenario ?? 3,
      concurrency: input.concurrency ?? 10,
      ...(request.note ? { note: request.note } : {}),
    });
    // Stopped by a pause or a cancel seen in the store: the same page is read again on resume.
    if (page.stopped) continue;
    if (!page.next) break;
    cursor = page.next;
  }
  // From here every move is refused (the operation is over).
  const final: BulkQueryState = state === 'cancelled' ? 'cancelled' : 'completed';
  state = final;
  await condition(allHandlersFinished);
  await bulk.finishBulkQueryOperation({ operationId: request.operationId, state: final });
  return final;
}
