import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';

/**
 * Consecutive errors of a scenario's automatic runs (`scenario_run_errors`), for the runs that
 * start without the scenario's coordinator (scheduled and webhook runs of a scenario that is not
 * sequential). Make deactivates a scenario after `maxErrors` such runs in a row end with status
 * error (reference §1.6).
 *
 * Race-free and idempotent on MongoDB and FerretDB without an atomic counter: each run that ends
 * with an error inserts one document under its execution id (a retried or replayed end inserts
 * nothing more), and a run that ends otherwise deletes the errors that ended before it. The
 * count is the number of error documents of the current activation, read after the write: of
 * runs that end at the same time, the one whose read comes last sees them all.
 */
export interface RunErrorDocument {
  /** The run's execution id: one document per run, however often its end is retried. */
  _id: string;
  scenarioId: number;
  /** The activation the run started in (the scenario's `activatedAt`, ISO), or null. */
  activation: string | null;
  /** When the run ended (workflow time: the same on every retry). */
  endedAt: Date;
  errorType: string;
  message: string;
}

export class RunErrorStore {
  readonly collection: Collection<RunErrorDocument>;

  constructor(db: Db) {
    this.collection = db.collection<RunErrorDocument>('scenario_run_errors');
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ scenarioId: 1, endedAt: 1 }, { name: 'scenario_ended' });
  }

  /** Records a run that ended with an error (idempotent by execution id). */
  async recordError(doc: RunErrorDocument): Promise<void> {
    try {
      await this.collection.insertOne(doc);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  /** A run ended without an error at `endedAt`: the errors before it are no longer consecutive. */
  async resetBefore(scenarioId: number, endedAt: Date): Promise<void> {
    await this.collection.deleteMany({ scenarioId, endedAt: { $lt: endedAt } });
  }

  /** The scenario's consecutive errors in this activation, latest first (at most `limit`); older activations' go. */
  async consecutive(scenarioId: number, activation: string | null, limit: number): Promise<RunErrorDocument[]> {
    await this.collection.deleteMany({ scenarioId, activation: { $ne: activation } });
    return this.collection.find({ scenarioId, activation }).sort({ endedAt: -1 }).limit(limit).toArray();
  }

  /** The scenario was deactivated: the count starts again with its next activation. */
  async clear(scenarioId: number): Promise<void> {
    await this.collection.deleteMany({ scenarioId });
  }
}
