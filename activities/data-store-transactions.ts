/**
 * Committing and rolling back a run's data-store writes (store/data-store-transactions.ts): short,
 * idempotent store writes the `scenarioRun` workflow calls. A commit records its intent before it
 * applies anything, so an activity retry after a worker crash finishes it: no write lost, none doubled.
 */
import type { CommitRequest, Store } from '../src/store';

export interface CommitDataStoreWritesInput {
  txnId: string;
  commit: CommitRequest;
}

export interface SettleDataStoreWritesInput {
  txnId: string;
  /** The last commits, in order; none is a rollback. Every other staged write is discarded. */
  commits: CommitRequest[];
}

export interface SweepDataStoreTransactionsInput {
  /** Commit intents older than this and not applied are applied. */
  finishAfterMs: number;
  /** Transactions with a step older than this are forgotten (their staged writes discarded). */
  forgetAfterMs: number;
  limit: number;
}

export function createDataStoreTransactionActivities(store: Store) {
  return {
    /** Commits the steps (autoCommit after a module). */
    async commitDataStoreWrites(input: CommitDataStoreWritesInput): Promise<{ written: number }> {
      return { written: await store.dataStoreTransactions.commit(input.txnId, input.commit) };
    },
    /** Ends the run's transaction: its last commits, then Rollback of everything else it staged. */
    async settleDataStoreWrites(input: SettleDataStoreWritesInput): Promise<{ written: number; discarded: number }> {
      return store.dataStoreTransactions.settle(input.txnId, input.commits);
    },
    /** Maintenance: finishes commits and forgets transactions that runs left behind. */
    async sweepDataStoreTransactions(
      input: SweepDataStoreTransactionsInput,
    ): Promise<{ commitsFinished: number; transactionsForgotten: number }> {
      const now = Date.now();
      return store.dataStoreTransactions.sweep({
        finishBefore: new Date(now - input.finishAfterMs),
        forgetBefore: new Date(now - input.forgetAfterMs),
        limit: input.limit,
      });
    },
  };
}
