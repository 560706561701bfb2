/**
 * A run's data-store transaction, without multi-document transactions (FerretDB has none):
 *
 * - **staged steps** (`data_store_steps`, `_id` `<txnId>:<seq>`): one document per module
 *   operation holding all its writes (JSON text), written in one go. A retried operation replaces
 *   its own step, so nothing is staged twice; a step already committed or discarded is never
 *   overwritten.
 * - **commits** (`data_store_commits`, `_id` `<txnId>:<commitKey>`): before anything is applied, the
 *   commit's net effect is recorded (the intent). Then each record write is applied idempotently
 *   (a record remembers the intent that last wrote it; a clear spares what the intent wrote), then
 *   the steps are marked committed and the intent applied. Running a commit again (an activity
 *   retry after a crash anywhere in between) finds the intent and finishes it: no write lost, none
 *   doubled.
 * - **settling** at the end of the run: the last commits, every other staged step discarded (a
 *   rollback is a settle with nothing to commit), then the run's bookkeeping removed.
 */
import type { Collection, Db } from 'mongodb';
import { netEffect, type CommitEffect, type DataStoreWrite, type StagedStep } from '../domain';
import type { DataStoreStore } from './data-stores';
import { isDuplicateKeyError } from './duplicate-key';
import { FieldCipher } from './field-cipher';

type StepState = 'staged' | 'committed' | 'discarded';

interface StepDocument {
  _id: string;
  txnId: string;
  seq: number;
  /** The operation's writes, as JSON text (records are user data). */
  writes: string;
  state: StepState;
  createdAt: Date;
}

interface CommitDocument {
  _id: string;
  txnId: string;
  seqs: number[];
  /** The net effect, as JSON text: what applying writes. */
  effect: string;
  state: 'applying' | 'applied';
  createdAt: Date;
  appliedAt?: Date;
}

/** A recorded commit intent: what a commit applies, and whether it finished. */
export interface CommitIntent {
  id: string;
  seqs: number[];
  effect: CommitEffect;
  applied: boolean;
}

export interface CommitRequest {
  /** Unique within the run (the workflow counts its commits). */
  key: string;
  seqs: number[];
}

export const stepId = (txnId: string, seq: number) => `${txnId}:${seq}`;

export class DataStoreTransactionStore {
  readonly steps: Collection<StepDocument>;
  readonly commits: Collection<CommitDocument>;

  constructor(
    db: Db,
    private readonly dataStores: DataStoreStore,
    /** Staged writes and commit effects hold records' data: sealed at rest with a keyring. */
    private readonly cipher = new FieldCipher(),
  ) {
    this.steps = db.collection<StepDocument>('data_store_steps');
    this.commits = db.collection<CommitDocument>('data_store_commits');
  }

  private async stepFrom(doc: StepDocument): Promise<StagedStep> {
    return { seq: doc.seq, writes: await this.cipher.openJson<DataStoreWrite[]>(doc.writes) };
  }

  private async intentFrom(doc: CommitDocument): Promise<CommitIntent> {
    return {
      id: doc._id,
      seqs: doc.seqs,
      effect: await this.cipher.openJson<CommitEffect>(doc.effect),
      applied: doc.state === 'applied',
    };
  }

  async ensureIndexes(): Promise<void> {
    await this.steps.createIndex({ txnId: 1, seq: 1 }, { name: 'txn_seq' });
    await this.commits.createIndex({ txnId: 1 }, { name: 'txn' });
    await this.steps.createIndex({ createdAt: 1 }, { name: 'created' });
  }

  /** Stages one operation's writes; a retry replaces them. False when the step was settled already. */
  async stage(txnId: string, seq: number, writes: readonly DataStoreWrite[]): Promise<boolean> {
    const _id = stepId(txnId, seq);
    const current = await this.steps.findOne({ _id }, { projection: { state: 1 } });
    if (current && current.state !== 'staged') return false;
    await this.steps.replaceOne(
      { _id },
      { txnId, seq, writes: await this.cipher.sealJson(writes), state: 'staged', createdAt: new Date() },
      { upsert: true },
    );
    return true;
  }

  /** The staged (not yet committed) steps among `seqs`, in `seq` order: what the run's reads overlay. */
  async stagedSteps(txnId: string, seqs: readonly number[]): Promise<StagedStep[]> {
    if (seqs.length === 0) return [];
    const docs = await this.steps.find({ txnId, state: 'staged' }).toArray();
    const wanted = new Set(seqs);
    const steps = await Promise.all(docs.filter((d) => wanted.has(d.seq)).map((d) => this.stepFrom(d)));
    return steps.sort((a, b) => a.seq - b.seq);
  }

  /**
   * The first half of a commit: records its intent (the net effect of the steps) unless recorded
   * already. Returns the intent, applied or not.
   */
  async prepareCommit(txnId: string, request: CommitRequest): Promise<CommitIntent> {
    const _id = `${txnId}:${request.key}`;
    const existing = await this.commits.findOne({ _id });
    if (existing) return this.intentFrom(existing);
    const docs = await this.steps.find({ txnId }).toArray();
    const wanted = new Set(request.seqs);
    const steps = await Promise.all(
      docs.filter((d) => wanted.has(d.seq) && d.state === 'staged').map((d) => this.stepFrom(d)),
    );
    const minSeq = Math.min(...request.seqs);
    const laterCommitted = await Promise.all(
      docs.filter((d) => d.state === 'committed' && d.seq > minSeq).map((d) => this.stepFrom(d)),
    );
    const effect = steps.length ? netEffect(steps, laterCommitted) : {};
    const doc: CommitDocument = {
      _id,
      txnId,
      seqs: [...request.seqs],
      effect: await this.cipher.sealJson(effect),
      state: 'applying',
      createdAt: new Date(),
    };
    try {
      await this.commits.insertOne(doc);
      return this.intentFrom(doc);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const raced = await this.commits.findOne({ _id });
      if (!raced) throw err;
      return this.intentFrom(raced);
    }
  }

  /**
   * The second half: applies the intent's writes (each idempotent), then marks its steps committed
   * and itself applied. `stopAfterWrites` cuts it off after that many writes (tests simulate a
   * crash between apply steps with it).
   */
  async applyCommit(txnId: string, intent: CommitIntent, options: { stopAfterWrites?: number } = {}): Promise<number> {
    if (intent.applied) return 0;
    let written = 0;
    const cutOff = () => options.stopAfterWrites !== undefined && written >= options.stopAfterWrites;
    for (const [storeKey, storeEffect] of Object.entries(intent.effect)) {
      const storeId = Number(storeKey);
      if (storeEffect.clear) {
        await this.dataStores.applyClear(storeId, storeEffect.keep, intent.id);
        written++;
        if (cutOff()) return written;
      }
      for (const [key, data] of Object.entries(storeEffect.writes)) {
        if (data === null) await this.dataStores.applyDelete(storeId, key);
        else await this.dataStores.applyPut(storeId, key, data, intent.id);
        written++;
        if (cutOff()) return written;
      }
    }
    await this.steps.updateMany(
      { _id: { $in: intent.seqs.map((s) => stepId(txnId, s)) }, state: 'staged' },
      { $set: { state: 'committed' } },
    );
    await this.commits.updateOne({ _id: intent.id }, { $set: { state: 'applied', appliedAt: new Date() } });
    return written;
  }

  /** Commits the steps: records the intent, then applies it. Idempotent and resumable. */
  async commit(txnId: string, request: CommitRequest): Promise<number> {
    if (request.seqs.length === 0) return 0;
    return this.applyCommit(txnId, await this.prepareCommit(txnId, request));
  }

  /**
   * Ends the run's transaction: the commits (in order), then every step still staged is
   * discarded (Rollback), then the bookkeeping goes. Running it again does nothing twice.
   */
  async settle(txnId: string, commits: readonly CommitRequest[]): Promise<{ written: number; discarded: number }> {
    let written = 0;
    for (const request of commits) written += await this.commit(txnId, request);
    const discarded = (await this.steps.updateMany({ txnId, state: 'staged' }, { $set: { state: 'discarded' } }))
      .modifiedCount;
    await this.steps.deleteMany({ txnId });
    await this.commits.deleteMany({ txnId });
    return { written, discarded };
  }

  /**
   * Maintenance, for runs that ended without finishing their transaction (a workflow terminated
   * or reset): commit intents recorded before `finishBefore` and never applied are applied (the
   * decision to commit was made; applying is idempotent), then the bookkeeping of transactions
   * with a step staged before `forgetBefore` is removed, their staged writes discarded (Make: a run
   * that did not finish rolls back).
   */
  async sweep(options: {
    finishBefore: Date;
    forgetBefore: Date;
    limit: number;
  }): Promise<{ commitsFinished: number; transactionsForgotten: number }> {
    let commitsFinished = 0;
    const unfinished = await this.commits
      .find({ state: 'applying', createdAt: { $lt: options.finishBefore } })
      .limit(options.limit)
      .toArray();
    for (const doc of unfinished) {
      await this.applyCommit(doc.txnId, await this.intentFrom(doc));
      commitsFinished++;
    }
    const old = await this.steps
      .find({ createdAt: { $lt: options.forgetBefore } }, { projection: { txnId: 1 } })
      .limit(options.limit)
      .toArray();
    const txnIds = [...new Set(old.map((d) => d.txnId))];
    for (const txnId of txnIds) {
      const pending = await this.commits.find({ txnId, state: 'applying' }).toArray();
      for (const doc of pending) await this.applyCommit(txnId, await this.intentFrom(doc));
      await this.settle(txnId, []);
    }
    return { commitsFinished, transactionsForgotten: txnIds.length };
  }
}
