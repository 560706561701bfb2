/**
 * Activities of the `bulkOperation` workflow: list the targeted IEs into the store, handle them
 * chunk by chunk (bounded concurrency, a verdict per IE written as soon as it is known), close.
 *
 * Every step is idempotent: listing inserts items under unique ids, a chunk handles only IEs
 * without a verdict, and each request to an IE carries the request id `bulk-<operationId>`, which
 * the IE workflow remembers (a request sent again after a crash is answered, not applied twice).
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { BulkVerdict, IncompleteExecutionSummary, Store } from '../src/store';
import { ImexClient, RequestRejectedError } from '../src/temporal/client';
import type {
  BulkOperationKind,
  BulkOperationRequest,
  BulkOperationSummary,
  BulkRequestNote,
} from '../workflows/bulk-operation';

export interface BulkOperationDeps {
  store: Store;
  client: Client;
  taskQueue: string;
}

export interface BulkChunkInput {
  operationId: string;
  kind: BulkOperationKind;
  chunkSize: number;
  concurrency: number;
  note?: BulkRequestNote;
}

/** An IE whose request failed unexpectedly this many times gets a verdict saying so. */
const ATTEMPTS_BEFORE_GIVING_UP = 3;
const NOT_FOUND = 'the incomplete execution was not found';

export function createBulkOperationActivities(deps: BulkOperationDeps) {
  const { store } = deps;
  const bulk = store.bulkOperations;
  const imex = new ImexClient({ client: deps.client, store, taskQueue: deps.taskQueue });

  /** Lists the targeted IEs, in request order (ids as given; `all` oldest first). */
  async function prepareBulkOperation(request: BulkOperationRequest): Promise<{ total: number }> {
    const { orgId, scenarioId, operationId } = request;
    const known = new Map<string, string>();
    let ieIds: string[];
    if ('ids' in request.target) {
      ieIds = [...new Set(request.target.ids)];
      const docs = await store.incompleteExecutions.findMany(ieIds);
      for (const ieId of ieIds) {
        const reason = refusalOf(docs.get(ieId), orgId, scenarioId);
        if (reason) known.set(ieId, reason);
      }
    } else {
      const except = new Set(request.target.exceptIds);
      ieIds = [];
      // Oldest first: IEs stored while this runs come after the ones listed, so pages do not shift.
      for (let offset = 0; ; offset += 1000) {
        const page = await store.incompleteExecutions.list({
          orgId,
          scenarioId,
          offset,
          limit: 1000,
          sortBy: 'created',
          sortDir: 'asc',
        });
        for (const doc of page) {
          // Make: "retry all" retries what is not resolved; "delete all" deletes what is listed.
          if (except.has(doc._id) || (request.kind === 'retry' && doc.resolved)) continue;
          ieIds.push(doc._id);
        }
        heartbeat();
        if (page.length < 1000) break;
      }
      ieIds = [...new Set(ieIds)];
    }
    await bulk.addItems(operationId, ieIds, known);
    return { total: ieIds.length };
  }

  /** Handles the next IEs without a verdict; `more` says whether any are left. */
  async function processBulkChunk(input: BulkChunkInput): Promise<{ handled: number; more: boolean }> {
    const items = await bulk.pending(input.operationId, input.chunkSize);
    const failures: unknown[] = [];
    const giveUp = activityInfo().attempt >= ATTEMPTS_BEFORE_GIVING_UP;
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++];
        if (!item) break;
        try {
          await bulk.recordVerdict(
            input.operationId,
            await sendBulkRequest({ imex, store }, input.operationId, input.kind, item.ieId, input.note),
          );
        } catch (err) {
          if (!giveUp) failures.push(err);
          else {
            const reason = `the request could not be sent: ${err instanceof Error ? err.message : String(err)}`;
            await bulk.recordVerdict(input.operationId, { id: item.ieId, accepted: false, reason });
          }
        }
        heartbeat();
      }
    };
    await Promise.all(Array.from({ length: Math.min(input.concurrency, items.length) }, worker));
    // The IEs that failed unexpectedly keep no verdict: the retried activity tries them again.
    if (failures.length > 0) throw failures[0];
    const more = (await bulk.pending(input.operationId, 1)).length > 0;
    return { handled: items.length, more };
  }

  async function completeBulkOperation(operationId: string): Promise<BulkOperationSummary> {
    await bulk.complete(operationId);
    const operation = await bulk.get(operationId);
    if (!operation) throw new Error(`bulk operation ${operationId} is missing from the store`);
    const progress = await bulk.progress(operation);
    return { operationId, total: progress.total ?? 0, succeeded: progress.succeeded, failed: progress.failed };
  }

  return { prepareBulkOperation, processBulkChunk, completeBulkOperation };
}

/**
 * Sends one IE its bulk request under the request id `bulk-<operationId>` (the IE workflow
 * remembers it: sent again after a crash, it is answered, not applied twice). A refusal is a
 * verdict with the IE's reason; an IE found deleted by a delete has reached the goal.
 */
export async function sendBulkRequest(
  deps: { imex: ImexClient; store: Store },
  operationId: string,
  kind: BulkOperationKind,
  ieId: string,
  note: BulkRequestNote = {},
): Promise<BulkVerdict> {
  const request = { requestId: `bulk-${operationId}`, ...note };
  try {
    if (kind === 'retry') await deps.imex.requestIncompleteExecution(ieId, 'retry', request);
    else await deps.imex.deleteIncompleteExecution(ieId, request);
    return { id: ieId, accepted: true };
  } catch (err) {
    if (!(err instanceof RequestRejectedError)) throw err;
    // Deleted already (by this operation before a crash, or by someone else): the goal is reached.
    if (kind === 'delete' && (await deps.store.incompleteExecutions.get(ieId))?.deleted)
      return { id: ieId, accepted: true };
    return { id: ieId, accepted: false, reason: err.reason };
  }
}

/** Why an id given in a bulk request is not one of this scenario's IEs (never says whose it is). */
function refusalOf(doc: IncompleteExecutionSummary | undefined, orgId: number, scenarioId: number): string | undefined {
  if (!doc || doc.orgId !== orgId || doc.deleted) return NOT_FOUND;
  if (doc.scenarioId !== scenarioId) return `the incomplete execution belongs to another scenario (${doc.scenarioId})`;
  return undefined;
}
