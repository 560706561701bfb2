/**
 * What a scenario run's flow control shares between `scenarioRun` and its error-handler routes:
 * how the run stops early, one module operation's outcome, and the run's capabilities.
 */
import type { BlueprintModule, BundleContext, BundleOrRef, FailedBundle, RunError } from '../src/domain/plain';

/** Ends the run early: with an error (status error), or committed by a Commit directive. */
export class RunStopped {
  constructor(readonly error?: RunError) {}
}

/** One module operation: its output bundles, or the error it ended with after in-run retries. */
export type Operation =
  { ok: true; bundles: BundleOrRef[]; bundleIndex: number } | { ok: false; error: RunError; bundleIndex: number };

/** What error-handler routes need from the run (error-handlers.ts). */
export interface RunControl {
  readonly resuming: boolean;
  readonly dlqEnabled: boolean;
  operate(module: BlueprintModule, context: BundleContext): Promise<Operation>;
  passesFilter(module: BlueprintModule, context: BundleContext): Promise<boolean>;
  /** A directive's mapper evaluated with the bundles it maps from. */
  mapFields(module: BlueprintModule, context: BundleContext): Promise<BundleOrRef>;
  /** Parks the bundle as an incomplete execution (or, in an attempt, reports the failure). */
  park(failed: FailedBundle, schedule?: number[]): Promise<void>;
  /**
   * An attempt's failure: the first is reported to its incomplete execution, each later one is
   * parked as an IE of its own (or, in attempts of the old shape, the attempt stops).
   */
  reportFailure(failed: FailedBundle): Promise<void>;
  note(text: string): void;
  /** Make's Rollback directive: the run's data-store writes not committed are discarded at its end. */
  requestRollback(): void;
}
