/**
 * `bulkOperation`: a bulk retry or bulk delete of incomplete executions (workflow id
 * `bulk-<operationId>`), started by the API for `POST /dlqs/retry` and `DELETE /dlqs`.
 *
 * Make queues bulk retries; imex makes the queue durable. The targeted IEs are listed once into
 * the store, then handled in chunks (one activity per chunk, at most `concurrency` IEs at a time
 * inside it), each IE's verdict written to the store as soon as it is known. A crash of the API,
 * the worker or the store loses nothing: a retried chunk picks up the IEs without a verdict, and
 * the requests carry a request id the IE workflow remembers, so none is applied twice. The
 * history stays bounded: a few events per chunk, and continue-as-new after `chunksPerRun` chunks.
 */
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ImexActivities } from '../activities';

export type BulkOperationKind = 'retry' | 'delete';

/** What a bulk request targets: Make's two body forms. */
export type BulkOperationTarget = { ids: string[] } | { all: true; exceptIds: string[] };

export interface BulkOperationRequest {
  /** 32 hex; also the id the API answers and `GET /dlqs/operations/{id}` reads. */
  operationId: string;
  orgId: number;
  scenarioId: number;
  kind: BulkOperationKind;
  target: BulkOperationTarget;
  /** Who asked and why: each IE's change log records them (a request without them names Temporal). */
  note?: BulkRequestNote;
}

export interface BulkRequestNote {
  actor?: { type: 'token'; tokenId: string; name: string };
  reason?: string;
}

export interface BulkOperationInput {
  request: BulkOperationRequest;
  /** The targets are listed in the store (set when continuing as new). */
  prepared?: boolean;
  /** IEs per chunk activity (default 50). */
  chunkSize?: number;
  /** IEs handled at the same time within a chunk (default 10). */
  concurrency?: number;
  /** Chunks before continuing as new (default 100). */
  chunksPerRun?: number;
}

/** The workflow's result: the counts. The per-IE verdicts are in the store. */
export interface BulkOperationSummary {
  operationId: string;
  total: number;
  succeeded: number;
  failed: number;
}

const bulk = proxyActivities<ImexActivities>({
  startToCloseTimeout: '10 minutes',
  // A chunk heartbeats after each IE; a worker that dies is noticed within a minute.
  heartbeatTimeout: '1 minute',
  // Idempotent steps: retry through outages rather than drop the rest of the operation.
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export async function bulkOperation(input: BulkOperationInput): Promise<BulkOperationSummary> {
  const { request } = input;
  const chunkSize = input.chunkSize ?? 50;
  const concurrency = input.concurrency ?? 10;
  const chunksPerRun = input.chunksPerRun ?? 100;

  if (!input.prepared) await bulk.prepareBulkOperation(request);

  for (let chunks = 1; ; chunks++) {
    const { more } = await bulk.processBulkChunk({
      operationId: request.operationId,
      kind: request.kind,
      chunkSize,
      concurrency,
      ...(request.note ? { note: request.note } : {}),
    });
    if (!more) break;
    if (chunks >= chunksPerRun || workflowInfo().continueAsNewSuggested) {
      // The targets are in the store now: carry only the operation, not the ids.
      await continueAsNew<typeof bulkOperation>({
        ...input,
        request: { ...request, target: { ids: [] } },
        prepared: true,
      });
    }
  }
  return bulk.completeBulkOperation(request.operationId);
}
