import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';

/**
 * Per-scenario leases (`scenario_leases`): the attempt slots of a scenario's incomplete
 * executions, the runs of the scenario in progress, and the attempts waiting for a slot. Make's
 * rules (at most 3 attempts at once, none while a run is in progress) are kept here, not in a
 * workflow's history: every claim is a unique-`_id` insert, race-free on MongoDB and FerretDB
 * (no multi-document transaction, no atomic update needed).
 *
 * - `attempt:<scenarioId>:<n>` (n < the bound): slot n, held by one attempt (`requestId`);
 * - `run:<scenarioId>:<executionId>`: a run in progress, from before its first module to its end;
 * - `wait:<scenarioId>:<ieId>`: an attempt that was refused a slot, woken when one frees.
 *
 * Claims and checks cross safely because both sides write, then read: an attempt takes its slot
 * and then looks for runs (and gives the slot back if it sees one); a run registers and then
 * looks for held slots (and waits until they are given back). One of the two always sees the other.
 */
export type ScenarioLeaseKind = 'attempt' | 'run' | 'wait';

export interface ScenarioLeaseDocument {
  _id: string;
  kind: ScenarioLeaseKind;
  scenarioId: number;
  /** attempt and wait: the incomplete execution. */
  ieId?: string;
  /** attempt and wait: the attempt's execution id; run: the run's. */
  requestId: string;
  since: Date;
  /** When a holder's liveness was last checked in Temporal (stale leases are taken back). */
  checkedAt?: Date;
  /** wait: when it was last woken (the epoch until then), so one freed slot wakes one waiter, not the same one twice. */
  wokenAt?: Date;
}

/** A wait never woken: older than any `wokenBefore`. */
const NEVER_WOKEN = new Date(0);

export class ScenarioLeaseStore {
  readonly collection: Collection<ScenarioLeaseDocument>;

  constructor(db: Db) {
    this.collection = db.collection<ScenarioLeaseDocument>('scenario_leases');
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ scenarioId: 1, kind: 1, since: 1 }, { name: 'scenario_kind_since' });
  }

  list(scenarioId: number, kind: ScenarioLeaseKind, limit = 0): Promise<ScenarioLeaseDocument[]> {
    return this.collection.find({ scenarioId, kind }).sort({ since: 1 }).limit(limit).toArray();
  }

  /** Registers a run in progress (idempotent); answers whether this call wrote it. */
  async registerRun(scenarioId: number, executionId: string): Promise<boolean> {
    return this.insertOnce({
      _id: `run:${scenarioId}:${executionId}`,
      kind: 'run',
      scenarioId,
      requestId: executionId,
      since: new Date(),
    });
  }

  async unregisterRun(scenarioId: number, executionId: string): Promise<void> {
    await this.collection.deleteOne({ _id: `run:${scenarioId}:${executionId}` });
  }

  /**
   * Takes a free slot for this attempt, or answers the one it holds already (a retried call).
   * Answers null when all `slots` are held.
   */
  async takeAttemptSlot(scenarioId: number, ieId: string, requestId: string, slots: number): Promise<number | null> {
    const held = await this.list(scenarioId, 'attempt');
    const mine = held.find((h) => h.requestId === requestId);
    if (mine) return slotNumber(mine._id);
    const taken = new Set(held.map((h) => slotNumber(h._id)));
    for (let n = 0; n < slots; n++) {
      if (taken.has(n)) continue;
      const doc: ScenarioLeaseDocument = {
        _id: `attempt:${scenarioId}:${n}`,
        kind: 'attempt',
        scenarioId,
        ieId,
        requestId,
        since: new Date(),
      };
      try {
        await this.collection.insertOne(doc);
        return n;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        // Taken meanwhile; by this attempt when an earlier try's insert landed but its answer was lost.
        const other = await this.collection.findOne({ _id: doc._id });
        if (other?.requestId === requestId) return n;
      }
    }
    return null;
  }

  /** Gives back this attempt's slot (if it holds one) and forgets its wait. */
  async releaseAttempt(scenarioId: number, ieId: string, requestId: string): Promise<void> {
    await this.giveBackSlot(scenarioId, requestId);
    await this.collection.deleteOne({ _id: `wait:${scenarioId}:${ieId}` });
  }

  /** Gives back this attempt's slot (if it holds one); a wait it recorded stays. */
  async giveBackSlot(scenarioId: number, requestId: string): Promise<void> {
    await this.collection.deleteMany({ scenarioId, kind: 'attempt', requestId });
  }

  /**
   * Records that this IE's attempt waits for a slot, to be woken again: the first wait's time is
   * kept (oldest are woken first), a wake it had is forgotten (it looked and found no slot).
   */
  async recordWait(scenarioId: number, ieId: string, requestId: string): Promise<void> {
    const _id = `wait:${scenarioId}:${ieId}`;
    const fields = { kind: 'wait' as const, scenarioId, ieId, requestId, wokenAt: NEVER_WOKEN };
    try {
      await this.collection.updateOne({ _id }, { $set: fields, $setOnInsert: { since: new Date() } }, { upsert: true });
    } catch (err) {
      // Two upserts of the same new wait (a retried call): the other inserted it.
      if (!isDuplicateKeyError(err)) throw err;
      await this.collection.updateOne({ _id }, { $set: fields });
    }
  }

  /** The oldest waits not woken since `wokenBefore`, at most `limit`. */
  waitsToWake(scenarioId: number, wokenBefore: Date, limit: number): Promise<ScenarioLeaseDocument[]> {
    return this.collection
      .find({ scenarioId, kind: 'wait', wokenAt: { $lt: wokenBefore } })
      .sort({ since: 1 })
      .limit(limit)
      .toArray();
  }

  async markWoken(wait: Pick<ScenarioLeaseDocument, '_id' | 'requestId'>, at: Date): Promise<void> {
    await this.collection.updateOne({ _id: wait._id, requestId: wait.requestId }, { $set: { wokenAt: at } });
  }

  async forgetWait(scenarioId: number, ieId: string): Promise<void> {
    await this.collection.deleteOne({ _id: `wait:${scenarioId}:${ieId}` });
  }

  /** Takes back a lease whose holder is gone; only the very lease seen (not one taken since). */
  async drop(lease: Pick<ScenarioLeaseDocument, '_id' | 'requestId'>): Promise<void> {
    await this.collection.deleteOne({ _id: lease._id, requestId: lease.requestId });
  }

  async markChecked(lease: Pick<ScenarioLeaseDocument, '_id' | 'requestId'>, at: Date): Promise<void> {
    await this.collection.updateOne({ _id: lease._id, requestId: lease.requestId }, { $set: { checkedAt: at } });
  }

  private async insertOnce(doc: ScenarioLeaseDocument): Promise<boolean> {
    try {
      await this.collection.insertOne(doc);
      return true;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return false;
    }
  }
}

function slotNumber(id: string): number {
  return Number(id.slice(id.lastIndexOf(':') + 1));
}
