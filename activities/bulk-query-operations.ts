/**
 * Activities of the `bulkQueryOperation` workflow: one page of the query at a time, a verdict per
 * IE in the ledger, and the operation's state and end.
 *
 * Nothing applied twice: each IE's ledger item is claimed (inserted `pending`) before its request
 * is sent under the request id `bulk-<operationId>`; a page read again after a crash skips the IEs
 * with a verdict and sends the pending ones the same request again, which the IE workflow answers
 * without applying it twice (or, once it has ended, its change log shows the request).
 *
 * Make's per-scenario limit of 3 attempts at once: a retry holds one of its scenario's
 * `perScenario` places from before its request until the attempt it started is over, so this
 * operation never has more attempts in flight in a scenario (the IE's attempt slot is the net).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { activityInfo, Context, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { BulkQueryAction, BulkQueryCursor, BulkQueryState, BulkQueryVerdict } from '../src/domain';
import type { IncompleteExecutionSummary, Store } from '../src/store';
import { ImexClient } from '../src/temporal/client';
import type { BulkRequestNote } from '../workflows/bulk-operation';
import { sendBulkRequest } from './bulk-operations';

export interface BulkQueryOperationDeps {
  store: Store;
  client: Client;
  taskQueue: string;
  /** How often a waiting retry reads its IE (default 500 ms). */
  pollMs?: number;
}

export interface BulkQueryPageInput {
  operationId: string;
  action: BulkQueryAction;
  cursor?: BulkQueryCursor;
  pageSize: number;
  perScenario: number;
  concurrency: number;
  note?: BulkRequestNote;
}

export interface BulkQueryPageResult {
  /** Where the next page starts; absent when this was the last. */
  next?: BulkQueryCursor;
  /** The operation was paused or cancelled meanwhile: the page is to be read again on resume. */
  stopped?: boolean;
}

/** An IE whose request failed unexpectedly in this many activity attempts gets `failed`. */
const ATTEMPTS_BEFORE_GIVING_UP = 3;
/** A retry's place in its scenario is given back after this long even if its attempt still runs. */
const ATTEMPT_WAIT_LIMIT_MS = 30 * 60_000;

export function createBulkQueryOperationActivities(deps: BulkQueryOperationDeps) {
  const { store } = deps;
  const queries = store.bulkQueries;
  const ies = store.incompleteExecutions;
  const imex = new ImexClient({ client: deps.client, store, taskQueue: deps.taskQueue });
  const pollMs = deps.pollMs ?? 500;

  /**
   * The operation's state as the store has it, read before each IE (one read by `_id`): a pause
   * answered to the API is seen by the next IE, never by a later one.
   */
  function stateWatch(operationId: string) {
    return async (): Promise<BulkQueryState> => (await queries.get(operationId))?.state ?? 'cancelled';
  }

  /** Waits until the attempt a retry started is over (or the IE is closed). */
  async function attemptOver(ieId: string, attemptsBefore: number): Promise<void> {
    const deadline = Date.now() + ATTEMPT_WAIT_LIMIT_MS;
    while (Date.now() < deadline) {
      const doc = (await ies.summary(ieId)) ?? undefined;
      if (!doc || doc.deleted || doc.resolved) return;
      if (doc.attempts > attemptsBefore && doc.status !== 'in_progress' && !doc.waitingForSlot) return;
      heartbeat();
      // Cancelled (the worker shutting down, the operation's workflow gone): stop waiting, so that
      // the worker can stop; the page is read again later and waits for the attempt from there.
      await sleep(pollMs, undefined, { signal: Context.current().cancellationSignal });
    }
  }

  /** Why a freshly claimed IE is not sent the request, if it is not. */
  function skipReason(action: BulkQueryAction, doc: IncompleteExecutionSummary | undefined): string | undefined {
    if (!doc || doc.deleted) return 'the incomplete execution was deleted meanwhile';
    if (action === 'retry' && doc.resolved) return 'the incomplete execution is already resolved';
    return undefined;
  }

  /**
   * Sends the IE its request unless it has a verdict; the verdict written now is counted as soon as
   * it is written (`count`), before a retry waits for its attempt.
   */
  async function handle(
    input: BulkQueryPageInput,
    ieId: string,
    scenarioId: number,
    giveUp: boolean,
    count: (verdict: BulkQueryVerdict) => Promise<void>,
  ) {
    const { operationId, action } = input;
    const fresh = (await ies.summary(ieId)) ?? undefined;
    const claim = await queries.claim(operationId, {
      ieId,
      scenarioId,
      ...(action === 'retry' && fresh ? { attemptsBefore: fresh.attempts } : {}),
    });
    const attemptsBefore = claim.claimed ? fresh?.attempts : claim.item.attemptsBefore;
    if (!claim.claimed && claim.item.verdict !== 'pending') {
      // Read again after a crash: a retry applied then may still be running, and still counts.
      if (claim.item.verdict === 'applied' && attemptsBefore !== undefined) await attemptOver(ieId, attemptsBefore);
      return undefined;
    }
    const settle = async (verdict: BulkQueryVerdict, reason?: string) => {
      await queries.settle(operationId, ieId, verdict, reason);
      await count(verdict);
      return verdict;
    };
    if (claim.claimed) {
      const reason = skipReason(action, fresh);
      if (reason) return settle('skipped', reason);
    }
    let verdict;
    try {
      verdict = await sendBulkRequest({ imex, store }, operationId, action, ieId, input.note);
    } catch (err) {
      if (!giveUp) throw err;
      return settle('failed', `the request could not be sent: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!verdict.accepted) {
      // Sent before a crash and applied then: the IE has ended since, and its change log shows the request.
      if (!claim.claimed && (await store.ieChanges.hasRequest(ieId, `bulk-${operationId}`))) return settle('applied');
      return settle('skipped', verdict.reason);
    }
    await settle('applied');
    if (action === 'retry' && attemptsBefore !== undefined) await attemptOver(ieId, attemptsBefore);
    return 'applied' as const;
  }

  /** Handles the next page of the query (see the file's comment); answers where the next one starts. */
  async function processBulkQueryPage(input: BulkQueryPageInput): Promise<BulkQueryPageResult> {
    const operation = await queries.get(input.operationId);
    if (!operation) throw new Error(`bulk operation ${input.operationId} is missing from the store`);
    const state = stateWatch(input.operationId);
    if ((await state()) !== 'running') return { stopped: true };
    const page = await ies.pageMatching(operation.orgId, operation.query, {
      upTo: operation.upTo,
      ...(input.cursor ? { cursor: { created: new Date(input.cursor.created), id: input.cursor.id } } : {}),
      limit: input.pageSize,
    });
    const giveUp = activityInfo().attempt >= ATTEMPTS_BEFORE_GIVING_UP;
    const places = new ScenarioPlaces(input.action === 'retry' ? input.perScenario : Number.POSITIVE_INFINITY);
    // Each verdict is counted as it is written, so progress follows the ledger IE by IE (not page
    // by page: a retry page waits for its attempts). One update at a time: on FerretDB an update
    // rewrites the whole document, so two at once could lose one.
    let counted: Promise<void> = Promise.resolve();
    const count = (verdict: BulkQueryVerdict) => {
      const delta = { applied: 0, skipped: 0, failed: 0, [verdict]: 1 };
      counted = counted.then(() => queries.addProgress(input.operationId, delta, undefined));
      return counted;
    };
    const failures: unknown[] = [];
    let stopped = false;
    let next = 0;
    const worker = async () => {
      while (!stopped && failures.length === 0) {
        const doc = page[next++];
        if (!doc) return;
        const release = await places.take(doc.scenarioId);
        try {
          // A pause or a cancel stops the page before its next IE; the ones under way finish.
          if ((await state()) !== 'running') {
            stopped = true;
            return;
          }
          await handle(input, doc._id, doc.scenarioId, giveUp, count);
        } catch (err) {
          failures.push(err);
        } finally {
          release();
          heartbeat();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency, page.length)) }, worker));
    // The pending IEs keep no verdict: the retried activity sends them the same request again.
    if (failures.length > 0) throw failures[0];
    const last = page[page.length - 1];
    const cursor = last ? { created: last.created, id: last._id } : undefined;
    // A page read again after a crash: its first run may have counted some verdicts and not others, so
    // count them all from the ledger.
    await counted;
    if (activityInfo().attempt > 1) await queries.recount(input.operationId, stopped ? {} : cursor ? { cursor } : {});
    else if (!stopped && cursor)
      await queries.addProgress(input.operationId, { applied: 0, skipped: 0, failed: 0 }, cursor);
    if (stopped) return { stopped: true };
    if (!last || page.length < input.pageSize) return {};
    return { next: { created: last.created.toISOString(), id: last._id } };
  }

  async function setBulkQueryState(input: { operationId: string; state: BulkQueryState }): Promise<void> {
    await queries.setState(input.operationId, input.state);
  }

  async function finishBulkQueryOperation(input: { operationId: string; state: BulkQueryState }): Promise<void> {
    // Completed: `matched` becomes what got a verdict; a cancelled one keeps what it matched.
    await queries.recount(input.operationId, { final: input.state === 'completed' });
    await queries.setState(input.operationId, input.state);
  }

  return { processBulkQueryPage, setBulkQueryState, finishBulkQueryOperation };
}

/** At most `limit` IEs of a scenario handled at once (waiters served in order). */
class ScenarioPlaces {
  private readonly taken = new Map<number, number>();
  private readonly waiting = new Map<number, (() => void)[]>();

  constructor(private readonly limit: number) {}

  async take(scenarioId: number): Promise<() => void> {
    if ((this.taken.get(scenarioId) ?? 0) >= this.limit) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(scenarioId) ?? [];
        queue.push(resolve);
        this.waiting.set(scenarioId, queue);
      });
    } else this.taken.set(scenarioId, (this.taken.get(scenarioId) ?? 0) + 1);
    return () => {
      const next = this.waiting.get(scenarioId)?.shift();
      // The place passes straight to the next waiter; otherwise it is free.
      if (next) next();
      else this.taken.set(scenarioId, (this.taken.get(scenarioId) ?? 1) - 1);
    };
  }
}
