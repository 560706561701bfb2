/**
 * A scenario run's data-store transaction, as Make's ACID modules have it
 * (make-incomplete-executions.md §1.7, docs/data-stores.md). Each data-store operation stages its
 * writes under the run (the transaction id is the run's execution id; the step is the operation's
 * number); the run then:
 *
 * - with `autoCommit` (Make's default) commits each operation's writes right after it, except the
 *   trigger's when `autoCommitTriggerLast`: those wait for the end of the run;
 * - without `autoCommit`, commits nothing until the end of the run;
 * - at the end, commits what is still staged (the trigger's last) unless the run stopped with an
 *   error or a Rollback directive fired: then everything not committed is discarded (Make's
 *   rollback phase). A Commit directive ends the run with status success: it commits.
 *
 * A run that parked incomplete executions ends with status warning and commits: the bundles an IE
 * stored hold the outputs of the modules before its failer, and its attempt never runs those again
 * (rolling their writes back would lose them). An attempt is a run of its own: it stages and
 * commits only what it runs, from the failer on; an attempt that fails again reports to its IE and
 * commits the writes of the operations that succeeded, for the same reason.
 */
import type { ImexActivities, OperationTransaction } from '../activities';

type TransactionActivities = Pick<ImexActivities, 'commitDataStoreWrites' | 'settleDataStoreWrites'>;

export class RunTransaction {
  /** Steps staged by operations that succeeded and not committed yet. */
  private pending: { seq: number; trigger: boolean }[] = [];
  private commits = 0;
  /** Whether an operation staged writes, or failed (and may have left a step to discard). */
  private touched = false;
  private rollbackRequested = false;

  constructor(
    private readonly txnId: string,
    private readonly orgId: number,
    private readonly settings: { autoCommit: boolean; autoCommitTriggerLast: boolean },
    private readonly activities: () => TransactionActivities,
  ) {}

  /** What a data-store operation is told: where it sits, and which staged steps its reads see. */
  operation(seq: number): OperationTransaction {
    return { orgId: this.orgId, txnId: this.txnId, seq, pending: this.pending.map((p) => p.seq) };
  }

  /** A data-store operation succeeded; with autoCommit its writes are committed now (the trigger's maybe last). */
  async succeeded(seq: number, isTrigger: boolean, staged: boolean): Promise<void> {
    if (!staged) return;
    this.touched = true;
    const waitsForEnd = !this.settings.autoCommit || (isTrigger && this.settings.autoCommitTriggerLast);
    if (waitsForEnd) {
      this.pending.push({ seq, trigger: isTrigger });
      return;
    }
    await this.activities().commitDataStoreWrites({ txnId: this.txnId, commit: this.nextCommit([seq]) });
  }

  /** A data-store operation failed: a try of it may have staged a step, which the end discards. */
  failed(): void {
    this.touched = true;
  }

  /** Make's Rollback directive: what is not committed is discarded at the end of the run. */
  requestRollback(): void {
    this.rollbackRequested = true;
  }

  /** The end of the run: commit what waits (the trigger's last), or roll back. */
  async settle(stoppedWithError: boolean): Promise<void> {
    if (!this.touched) return;
    const rollBack = stoppedWithError || this.rollbackRequested;
    const commits: { key: string; seqs: number[] }[] = [];
    if (!rollBack) {
      const triggerLast = this.settings.autoCommitTriggerLast;
      const first = this.pending.filter((p) => !(triggerLast && p.trigger)).map((p) => p.seq);
      const last = this.pending.filter((p) => triggerLast && p.trigger).map((p) => p.seq);
      if (first.length) commits.push(this.nextCommit(first));
      if (last.length) commits.push(this.nextCommit(last));
    }
    this.pending = [];
    await this.activities().settleDataStoreWrites({ txnId: this.txnId, commits });
  }

  private nextCommit(seqs: number[]) {
    this.commits++;
    return { key: `c${this.commits}`, seqs };
  }
}
