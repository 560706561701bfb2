/**
 * Bulk operations on incomplete executions (bulk retry, bulk delete): one document per operation
 * and one per targeted IE, holding that IE's verdict once it is known. The `bulkOperation`
 * workflow writes here as it goes, so an answer the API gave ("operation 3f…, 30 IEs") is never
 * lost: the per-IE results survive the API process and the worker.
 *
 * Race-free on MongoDB and FerretDB without atomic counters: items are inserted once under a
 * unique `_id` (`<operationId>:<ieId>`), each verdict is a plain `$set` of one item (writing the
 * same verdict twice is harmless), and progress is counted from the items, never `$inc`ed.
 */
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError, onlyDuplicates } from './duplicate-key';

export type BulkOperationKind = 'retry' | 'delete';
export type BulkOperationStatus = 'preparing' | 'running' | 'completed';

export interface BulkOperationDocument {
  /** 32 hex, as the other ids. */
  _id: string;
  orgId: number;
  scenarioId: number;
  kind: BulkOperationKind;
  status: BulkOperationStatus;
  /** How many IEs it targets; null until the workflow has listed them. */
  total: number | null;
  created: Date;
  completedAt?: Date;
}

export interface BulkItemDocument {
  /** `<operationId>:<ieId>`. */
  _id: string;
  operationId: string;
  ieId: string;
  /** Order of the request (ids as given; `all` by creation). */
  seq: number;
  done: boolean;
  /** For retry: the attempt started; for delete: the IE is deleted. */
  accepted?: boolean;
  reason?: string;
  at?: Date;
}

export interface BulkVerdict {
  id: string;
  accepted: boolean;
  reason?: string;
}

export interface BulkProgress {
  total: number | null;
  done: number;
  succeeded: number;
  failed: number;
}

export class BulkOperationStore {
  readonly operations: Collection<BulkOperationDocument>;
  readonly items: Collection<BulkItemDocument>;

  constructor(db: Db) {
    this.operations = db.collection<BulkOperationDocument>('bulk_operations');
    this.items = db.collection<BulkItemDocument>('bulk_operation_items');
  }

  /** Idempotent: creating the same operation again finds the first. */
  async create(input: {
    operationId: string;
    orgId: number;
    scenarioId: number;
    kind: BulkOperationKind;
  }): Promise<BulkOperationDocument> {
    const doc: BulkOperationDocument = {
      _id: input.operationId,
      orgId: input.orgId,
      scenarioId: input.scenarioId,
      kind: input.kind,
      status: 'preparing',
      total: null,
      created: new Date(),
    };
    try {
      await this.operations.insertOne(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return (await this.operations.findOne({ _id: input.operationId })) ?? doc;
    }
  }

  get(operationId: string): Promise<BulkOperationDocument | null> {
    return this.operations.findOne({ _id: operationId });
  }

  /** An operation of this organization; another organization's id answers null. */
  async getVisible(orgId: number, operationId: string): Promise<BulkOperationDocument | null> {
    const doc = await this.get(operationId);
    return doc && doc.orgId === orgId ? doc : null;
  }

  /**
   * Records the targeted IEs (idempotent: a retried activity inserts the same items again and
   * keeps the verdicts already written). `verdicts` are known up front (e.g. "not found").
   */
  async addItems(operationId: string, ieIds: readonly string[], verdicts: ReadonlyMap<string, string> = new Map()) {
    const now = new Date();
    const docs: BulkItemDocument[] = ieIds.map((ieId, seq) => {
      const reason = verdicts.get(ieId);
      return {
        _id: `${operationId}:${ieId}`,
        operationId,
        ieId,
        seq,
        done: reason !== undefined,
        ...(reason === undefined ? {} : { accepted: false, reason, at: now }),
      };
    });
    for (let i = 0; i < docs.length; i += 1000) {
      const batch = docs.slice(i, i + 1000);
      try {
        await this.items.insertMany(batch, { ordered: false });
      } catch (err) {
        if (!onlyDuplicates(err)) throw err;
      }
    }
    await this.operations.updateOne({ _id: operationId }, { $set: { total: ieIds.length, status: 'running' } });
  }

  /** The next IEs without a verdict, in request order. */
  async pending(operationId: string, limit: number): Promise<BulkItemDocument[]> {
    return this.items.find({ operationId, done: false }).sort({ seq: 1 }).limit(limit).toArray();
  }

  async recordVerdict(operationId: string, verdict: BulkVerdict): Promise<void> {
    await this.items.updateOne(
      { _id: `${operationId}:${verdict.id}` },
      {
        $set: {
          done: true,
          accepted: verdict.accepted,
          ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
          at: new Date(),
        },
      },
    );
  }

  async complete(operationId: string): Promise<void> {
    await this.operations.updateOne({ _id: operationId }, { $set: { status: 'completed', completedAt: new Date() } });
  }

  async progress(operation: BulkOperationDocument): Promise<BulkProgress> {
    const [done, succeeded] = await Promise.all([
      this.items.countDocuments({ operationId: operation._id, done: true }),
      this.items.countDocuments({ operationId: operation._id, done: true, accepted: true }),
    ]);
    return { total: operation.total, done, succeeded, failed: done - succeeded };
  }

  /** Verdicts known so far, in request order. */
  async verdicts(operationId: string, page: { offset: number; limit: number }): Promise<BulkVerdict[]> {
    const docs = await this.items
      .find({ operationId, done: true })
      .sort({ seq: 1 })
      .skip(page.offset)
      .limit(page.limit)
      .toArray();
    return docs.map((doc) => ({
      id: doc.ieId,
      accepted: doc.accepted === true,
      ...(doc.reason === undefined ? {} : { reason: doc.reason }),
    }));
  }
}
