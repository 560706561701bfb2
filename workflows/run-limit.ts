/**
 * Make's run-duration limit (reference §1.8, §2.3): a run still going when its limit is up is
 * interrupted. The flow runs in a cancellation scope that a workflow timer cancels at the limit:
 * the module in progress is cancelled (its activity is told through its heartbeat, a Sleep's timer
 * stops) and nothing further starts. What the run did so far stays: the caller commits, records
 * the log and ends with the ExecutionInterruptedError warning; no incomplete execution is stored.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

/** Versioning: runs recorded before it had no limit (and no timer for it). */
export const RUN_LIMIT_PATCH = 'imex-run-limit';

export class RunLimit {
  private interrupted = false;

  constructor(readonly limitMs: number) {}

  /** Whether the limit was reached: everything the flow awaits after that is cancelled. */
  get reached(): boolean {
    return this.interrupted;
  }

  /** Runs `flow`; resolves once it ends or is interrupted at the limit (then `reached` is true). */
  async run(flow: () => Promise<void>): Promise<void> {
    const flowScope = new CancellationScope();
    const timerScope = new CancellationScope();
    const timer = timerScope
      .run(() => sleep(this.limitMs))
      .then(
        () => {
          this.interrupted = true;
          flowScope.cancel();
        },
        () => undefined, // the flow ended first
      );
    try {
      await flowScope.run(flow);
    } catch (err) {
      if (!(this.interrupted && isCancellation(err))) throw err;
    } finally {
      timerScope.cancel();
      await timer;
    }
  }
}

/** The run's note when it was interrupted (Make's warning, which the run's status says). */
export function interruptedNote(limitMs: number, operations: number): string {
  return (
    `ExecutionInterruptedError: the run was interrupted at its limit of ${limitMs} ms after ${operations} ` +
    'operations; the module in progress was cancelled and bundles not processed yet were not run ' +
    '(no incomplete execution is stored for them)'
  );
}
