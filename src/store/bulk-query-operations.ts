/**
 * Bulk operations by query (`POST /dlqs/operations`): one document per operation and a ledger of
 * one item per IE it reached, keyed `<operationId>:<ieId>`, holding that IE's verdict (applied,
 * skipped or failed, with the reason). The `bulkQueryOperation` workflow pages the query itself
 * (the ids never travel through its history) and writes here as it goes.
 *
 * Nothing applied twice: an IE's item is inserted (`pending`) before its request is sent, so a
 * page read again after a crash finds it, and sends the same request id again (the IE workflow
 * answers it, never applies it twice) or skips it once it has a verdict. The counters on the
 * operation are recounted from the ledger after each page, never `$inc`ed (FerretDB's updates
 * are not atomic): the API reads them without counting.
 */
import type { Collection, Db, Filter } from 'mongodb';
import type { BulkQueryAction, BulkQueryState, BulkQueryVerdict, IeQuery } from '../domain';
import { isDuplicateKeyError } from './duplicate-key';
import type { IeQueryCursor } from './ie-query-filter';

export interface BulkQueryOperationDocument {
  /** 32 hex, as the other ids. */
  _id: string;
  orgId: number;
  action: BulkQueryAction;
  query: IeQuery;
  state: BulkQueryState;
  /** The match set's upper bound: IEs created later are not swept in. */
  upTo: Date;
  /** IEs the query matched at the start (at most `upTo`). */
  matched: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt?: Date;
}

/**
 * An operation's counters and where its walk is: a document of its own, written by the page
 * activities only, so it never races the state writes on the operation (FerretDB's updates
 * rewrite the whole document).
 */
export interface BulkQueryProgressDocument {
  _id: string;
  applied: number;
  skipped: number;
  failed: number;
  /** On completion: the IEs that got a verdict (some may have stopped matching meanwhile). */
  matched?: number;
  cursor?: IeQueryCursor;
  updatedAt: Date;
}

/** An operation as the API shows it: its document and its counters. */
export type BulkQueryOperationView = BulkQueryOperationDocument & {
  applied: number;
  skipped: number;
  failed: number;
};

export interface BulkQueryItemDocument {
  /** `<operationId>:<ieId>`. */
  _id: string;
  operationId: string;
  ieId: string;
  scenarioId: number;
  /** `pending` from just before its request is sent until its verdict is written. */
  verdict: BulkQueryVerdict | 'pending';
  reason?: string;
  /** A retry: the IE's attempt count before it, to know when the attempt it started is over. */
  attemptsBefore?: number;
  at: Date;
}

export class BulkQueryOperationStore {
  readonly operations: Collection<BulkQueryOperationDocument>;
  readonly items: Collection<BulkQueryItemDocument>;
  readonly progress: Collection<BulkQueryProgressDocument>;

  constructor(db: Db) {
    this.operations = db.collection<BulkQueryOperationDocument>('bulk_query_operations');
    this.progress = db.collection<BulkQueryProgressDocument>('bulk_query_progress');
    this.items = db.collection<BulkQueryItemDocument>('bulk_query_items');
  }

  async ensureIndexes(): Promise<void> {
    // The organization's operations, newest first; a ledger's items by verdict, in id order.
    await this.operations.createIndex({ orgId: 1, createdAt: -1 }, { name: 'org_created' });
    await this.items.createIndex({ operationId: 1, verdict: 1, _id: 1 }, { name: 'operation_verdict' });
  }

  /** Idempotent: creating the same operation again finds the first. */
  async create(input: {
    operationId: string;
    orgId: number;
    action: BulkQueryAction;
    query: IeQuery;
    upTo: Date;
    matched: number;
  }): Promise<BulkQueryOperationDocument> {
    const now = new Date();
    const doc: BulkQueryOperationDocument = {
      _id: input.operationId,
      orgId: input.orgId,
      action: input.action,
      query: input.query,
      state: 'running',
      upTo: input.upTo,
      matched: input.matched,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.operations.insertOne(doc);
      return doc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return (await this.get(input.operationId)) ?? doc;
    }
  }

  get(operationId: string): Promise<BulkQueryOperationDocument | null> {
    return this.operations.findOne({ _id: operationId });
  }

  /** An operation of this organization; another organization's id answers null. */
  async getVisible(orgId: number, operationId: string): Promise<BulkQueryOperationDocument | null> {
    const doc = await this.get(operationId);
    return doc && doc.orgId === orgId ? doc : null;
  }

  /** The organization's latest operations: running and paused ones first, then newest first. */
  async list(orgId: number, options: { state?: BulkQueryState; limit?: number } = {}) {
    const filter: Filter<BulkQueryOperationDocument> = { orgId };
    if (options.state) filter.state = options.state;
    const docs = await this.operations
      .find(filter)
      .sort({ createdAt: -1, _id: -1 })
      .limit(options.limit ?? 100)
      .toArray();
    const open = (doc: BulkQueryOperationDocument) => (doc.state === 'running' || doc.state === 'paused' ? 0 : 1);
    return docs.sort((a, b) => open(a) - open(b));
  }

  /**
   * Sets the operation's state, if it is in one of `from` when given. Only the operation's
   * workflow writes it (one write at a time): the API's pause, resume and cancel go through it.
   */
  async setState(
    operationId: string,
    to: BulkQueryState,
    from?: readonly BulkQueryState[],
  ): Promise<BulkQueryOperationDocument | null> {
    const now = new Date();
    const filter: Filter<BulkQueryOperationDocument> = { _id: operationId };
    if (from) filter.state = { $in: [...from] };
    const finished = to === 'completed' || to === 'cancelled' || to === 'failed';
    await this.operations.updateOne(filter, {
      $set: { state: to, updatedAt: now, ...(finished ? { finishedAt: now } : {}) },
    });
    return this.get(operationId);
  }

  /**
   * The IE's item, inserted as `pending` when it has none: `claimed` says this call inserted it
   * (its request is to be sent); otherwise the item found (a page read again).
   */
  async claim(
    operationId: string,
    ie: { ieId: string; scenarioId: number; attemptsBefore?: number },
  ): Promise<{ claimed: true } | { claimed: false; item: BulkQueryItemDocument }> {
    const item: BulkQueryItemDocument = {
      _id: `${operationId}:${ie.ieId}`,
      operationId,
      ieId: ie.ieId,
      scenarioId: ie.scenarioId,
      verdict: 'pending',
      ...(ie.attemptsBefore === undefined ? {} : { attemptsBefore: ie.attemptsBefore }),
      at: new Date(),
    };
    try {
      await this.items.insertOne(item);
      return { claimed: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.items.findOne({ _id: item._id });
      if (!existing) throw err;
      return { claimed: false, item: existing };
    }
  }

  async settle(operationId: string, ieId: string, verdict: BulkQueryVerdict, reason?: string): Promise<void> {
    await this.items.updateOne(
      { _id: `${operationId}:${ieId}` },
      { $set: { verdict, ...(reason === undefined ? {} : { reason }), at: new Date() } },
    );
  }

  /** Adds one page's verdicts to the counters and records where the walk is. */
  async addProgress(
    operationId: string,
    delta: Record<BulkQueryVerdict, number>,
    cursor: IeQueryCursor | undefined,
  ): Promise<void> {
    await this.progress.updateOne(
      { _id: operationId },
      {
        $inc: { applied: delta.applied, skipped: delta.skipped, failed: delta.failed },
        $set: { ...(cursor ? { cursor } : {}), updatedAt: new Date() },
      },
      { upsert: true },
    );
  }

  /**
   * Counts the verdicts from the ledger into the counters (after a page read again, whose first
   * run's verdicts were not added; and at the end). `final` also sets `matched` to what got one.
   */
  async recount(operationId: string, options: { cursor?: IeQueryCursor; final?: boolean } = {}): Promise<void> {
    const count = (verdict: BulkQueryVerdict) => this.items.countDocuments({ operationId, verdict });
    const [applied, skipped, failed] = await Promise.all([count('applied'), count('skipped'), count('failed')]);
    await this.progress.updateOne(
      { _id: operationId },
      {
        $set: {
          applied,
          skipped,
          failed,
          ...(options.cursor ? { cursor: options.cursor } : {}),
          ...(options.final ? { matched: applied + skipped + failed } : {}),
          updatedAt: new Date(),
        },
      },
      { upsert: true },
    );
  }

  /** Operations with their counters. */
  async withProgress(docs: BulkQueryOperationDocument[]): Promise<BulkQueryOperationView[]> {
    if (docs.length === 0) return [];
    const progress = await this.progress.find({ _id: { $in: docs.map((doc) => doc._id) } }).toArray();
    const byId = new Map(progress.map((p) => [p._id, p]));
    return docs.map((doc) => {
      const p = byId.get(doc._id);
      return {
        ...doc,
        matched: p?.matched ?? doc.matched,
        applied: p?.applied ?? 0,
        skipped: p?.skipped ?? 0,
        failed: p?.failed ?? 0,
        updatedAt: p && p.updatedAt > doc.updatedAt ? p.updatedAt : doc.updatedAt,
      };
    });
  }

  /** A page of the ledger in id order, optionally one verdict's, after `cursor` (an item's ieId). */
  async page(
    operationId: string,
    options: { verdict?: BulkQueryVerdict; after?: string; limit: number },
  ): Promise<BulkQueryItemDocument[]> {
    const filter: Filter<BulkQueryItemDocument> = { operationId };
    filter.verdict = options.verdict ?? { $ne: 'pending' };
    if (options.after !== undefined) filter._id = { $gt: `${operationId}:${options.after}` };
    return this.items.find(filter).sort({ _id: 1 }).limit(options.limit).toArray();
  }
}
