/**
 * Incomplete executions (IEs) as MongoDB keeps them: the source of truth for their documents,
 * bundles and every list the API pages (DESIGN.md §4). The IE workflow owns the lifecycle and
 * writes each change through here.
 *
 * The blueprint and the bundles are opaque JSON text: user keys never become document keys.
 * `size` is every byte kept for the IE (what the organization's quota counts): the stored
 * blueprint and bundles, plus each distinct blob its bundles reference (`storedSize`).
 * With a keyring, both are sealed at rest (field-cipher.ts): `build` and the writes seal, `get`
 * and `insert` answer documents with them opened; `size` counts the sealed bytes.
 */
import { BSON, type Collection, type Db, type Filter } from 'mongodb';
import type { Blueprint, BundleContext, ErrorCategory, IeQuery, IeStatus, RunError } from '../domain';
import { blobRefsIn, blobStoredBytes } from './blobs';
import { isDuplicateKeyError } from './duplicate-key';
import { FieldCipher } from './field-cipher';
import type { ExecutionStore } from './executions';
import type { IeChangeStore } from './ie-changes';
import { ieQueryFilter, ieQueryPageFilter, type IeQueryCursor } from './ie-query-filter';

export interface IncompleteExecutionDocument {
  _id: string;
  orgId: number;
  scenarioId: number;
  scenarioName: string;
  /** The run that failed first. */
  executionId: string;
  failer: number;
  bundleIndex: number;
  /** JSON text of the blueprint (patched if patched); removed on delete. */
  blueprint?: string;
  /** JSON text of the bundles of the modules before `failer`, keyed by module id; removed on resolve/delete. */
  context?: string;
  error: { type: ErrorCategory; message: string };
  size: number;
  status: IeStatus;
  /** Auto-retry on (Make's "retry"). */
  retry: boolean;
  /** This IE's own auto-retry schedule in ms (a scenario override or a Break's); the deployment's when absent. */
  schedule?: number[];
  attempts: number;
  nextRetryAt?: Date | null;
  /** An attempt is requested and waits for the coordinator's slot (status stays `pending`). */
  waitingForSlot?: boolean;
  resolved: boolean;
  deleted: boolean;
  created: Date;
  updatedAt: Date;
  resolvedAt?: Date;
  deletedAt?: Date;
  /** Requests that could not be honoured, most recent last (signals have no other way to answer). */
  rejections?: { requestId?: string; request: string; reason: string; at: Date }[];
}

export interface NewIncompleteExecution {
  ieId: string;
  orgId: number;
  scenarioId: number;
  scenarioName: string;
  executionId: string;
  failer: number;
  bundleIndex: number;
  blueprint: Blueprint;
  context: BundleContext;
  error: RunError;
  retry: boolean;
  schedule?: number[];
}

/** What the IE workflow writes through on every change. */
export interface IncompleteExecutionChange {
  status?: IeStatus;
  retry?: boolean;
  attempts?: number;
  nextRetryAt?: Date | null;
  waitingForSlot?: boolean;
  failer?: number;
  bundleIndex?: number;
  error?: { type: ErrorCategory; message: string };
}

/** How an IE ended: it never opens again (issue 14). */
export type ClosedAs = 'deleted' | 'resolved';

/** How the IE is closed, or undefined while it is open (or has no document). */
export function closedAs(doc: Pick<IncompleteExecutionDocument, 'deleted' | 'resolved'> | null): ClosedAs | undefined {
  if (doc?.deleted) return 'deleted';
  if (doc?.resolved) return 'resolved';
  return undefined;
}

/** A resolved IE or a tombstone whose retention is over. */
export interface PurgeableIncompleteExecution {
  ieId: string;
  orgId: number;
}

/** An IE document without its blueprint and bundles (what sweeps read). */
export type IncompleteExecutionSummary = Omit<IncompleteExecutionDocument, 'blueprint' | 'context'>;

export interface IncompleteExecutionListQuery {
  orgId: number;
  scenarioId?: number;
  /** The run that parked them (Make's HISTORY → Resolve). */
  executionId?: string;
  status?: IeStatus;
  errorType?: ErrorCategory;
  /** More filters (scenarios, statuses, error types, modules, created range, message), all narrowing. */
  filter?: IeQuery;
  offset: number;
  limit: number;
  sortBy: 'created' | 'size' | 'attempts';
  sortDir: 'asc' | 'desc';
}

/**
 * Every byte kept for an IE, as `size` and the quota count them: the BSON of its blueprint and
 * bundles, plus the stored bytes of each distinct blob the bundles reference (found in the
 * context text itself, so every caller counts them). A blob shared by several IEs is charged in
 * full to each of them: the quota may count a shared blob more than once, never less than what
 * is kept (docs/blobs.md).
 */
export function storedSize(blueprint: string, context: string): number {
  let blobBytes = 0;
  for (const bytes of blobRefsIn(context).values()) blobBytes += blobStoredBytes(bytes);
  return BSON.calculateObjectSize({ blueprint, context }) + blobBytes;
}

export class IncompleteExecutionStore {
  readonly collection: Collection<IncompleteExecutionDocument>;

  constructor(
    db: Db,
    private readonly cipher = new FieldCipher(),
  ) {
    this.collection = db.collection<IncompleteExecutionDocument>('incomplete_executions');
  }

  /** The document with its blueprint and bundles readable (they are sealed at rest with a keyring). */
  private opened(doc: IncompleteExecutionDocument): IncompleteExecutionDocument {
    return {
      ...doc,
      ...(doc.blueprint === undefined ? {} : { blueprint: this.cipher.open(doc.blueprint) }),
      ...(doc.context === undefined ? {} : { context: this.cipher.open(doc.context) }),
    };
  }

  /** The document an IE would be stored as (its size decides the quota before anything is written). */
  build(input: NewIncompleteExecution, now = new Date()): IncompleteExecutionDocument {
    const blueprint = this.cipher.sealJson(input.blueprint);
    const context = this.cipher.sealJson(input.context);
    return {
      _id: input.ieId,
      orgId: input.orgId,
      scenarioId: input.scenarioId,
      scenarioName: input.scenarioName,
      executionId: input.executionId,
      failer: input.failer,
      bundleIndex: input.bundleIndex,
      blueprint,
      context,
      error: { type: input.error.type, message: input.error.message },
      size: storedSize(blueprint, context),
      status: input.retry ? 'pending' : 'unresolved',
      retry: input.retry,
      ...(input.schedule ? { schedule: input.schedule } : {}),
      attempts: 0,
      nextRetryAt: null,
      resolved: false,
      deleted: false,
      created: now,
      updatedAt: now,
    };
  }

  /** Idempotent: a replayed store finds the IE it stored before and returns it. */
  async insert(doc: IncompleteExecutionDocument): Promise<IncompleteExecutionDocument> {
    try {
      await this.collection.insertOne(doc);
      return this.opened(doc);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const existing = await this.collection.findOne({ _id: doc._id });
      if (!existing) throw err;
      return this.opened(existing);
    }
  }

  async get(ieId: string): Promise<IncompleteExecutionDocument | null> {
    const doc = await this.collection.findOne({ _id: ieId });
    return doc && this.opened(doc);
  }

  /** An IE of this organization that is not deleted; another organization's id answers null. */
  async getVisible(orgId: number, ieId: string): Promise<IncompleteExecutionDocument | null> {
    const doc = await this.get(ieId);
    return doc && doc.orgId === orgId && !doc.deleted ? doc : null;
  }

  /**
   * Writes the workflow's state through, never onto a closed IE: a tombstone stays deleted and a
   * resolved IE stays resolved (only the write that says `resolved` reaches one). A second workflow
   * started for a closed IE (a replayed park, a reset) so cannot reopen it; it is told instead.
   */
  async applyChange(ieId: string, change: IncompleteExecutionChange): Promise<{ closed?: ClosedAs }> {
    const filter: Filter<IncompleteExecutionDocument> = { _id: ieId, deleted: { $ne: true } };
    if (change.status !== 'resolved') filter.resolved = { $ne: true };
    const result = await this.collection.updateOne(filter, { $set: { ...change, updatedAt: new Date() } });
    if (result.matchedCount > 0) return {};
    const doc = await this.collection.findOne({ _id: ieId }, { projection: { deleted: 1, resolved: 1 } });
    const closed = closedAs(doc);
    return closed ? { closed } : {};
  }

  /** A failed attempt that got past `failer`: the same IE now waits at the later module. */
  async moveFailer(ieId: string, failer: number, bundleIndex: number, context: BundleContext, error: RunError) {
    const doc = await this.collection.findOne({ _id: ieId }, { projection: { blueprint: 1 } });
    if (!doc) return;
    const contextText = this.cipher.sealJson(context);
    await this.collection.updateOne(
      { _id: ieId },
      {
        $set: {
          failer,
          bundleIndex,
          context: contextText,
          error: { type: error.type, message: error.message },
          size: storedSize(doc.blueprint ?? '', contextText),
          updatedAt: new Date(),
        },
      },
    );
  }

  async patch(ieId: string, patch: { blueprint?: Blueprint; failer?: number; context?: BundleContext }) {
    const doc = await this.collection.findOne({ _id: ieId });
    if (!doc) return;
    const blueprint = patch.blueprint ? this.cipher.sealJson(patch.blueprint) : (doc.blueprint ?? '');
    const context = patch.context ? this.cipher.sealJson(patch.context) : (doc.context ?? '');
    await this.collection.updateOne(
      { _id: ieId },
      {
        $set: {
          blueprint,
          context,
          ...(patch.failer === undefined ? {} : { failer: patch.failer }),
          size: storedSize(blueprint, context),
          updatedAt: new Date(),
        },
      },
    );
  }

  async recordRejection(ieId: string, rejection: { requestId?: string; request: string; reason: string }) {
    const doc = await this.get(ieId);
    if (!doc) return;
    // Whole-array rewrite (FerretDB ignores $push's $slice): keep the last 20.
    const rejections = [...(doc.rejections ?? []), { ...rejection, at: new Date() }].slice(-20);
    await this.collection.updateOne({ _id: ieId }, { $set: { rejections } });
  }

  /** Make: a resolved IE stays listed (`resolved: true`); its bundles are no longer needed. */
  async markResolved(ieId: string): Promise<void> {
    const now = new Date();
    await this.collection.updateOne(
      { _id: ieId },
      {
        $set: {
          status: 'resolved',
          resolved: true,
          retry: false,
          nextRetryAt: null,
          waitingForSlot: false,
          resolvedAt: now,
          updatedAt: now,
        },
        $unset: { context: '' },
      },
    );
  }

  /** A tombstone for audit: not listed, blueprint and bundles removed. */
  async markDeleted(ieId: string): Promise<void> {
    const now = new Date();
    await this.collection.updateOne(
      { _id: ieId },
      {
        $set: { deleted: true, retry: false, nextRetryAt: null, waitingForSlot: false, deletedAt: now, updatedAt: now },
        $unset: { context: '', blueprint: '' },
      },
    );
  }

  async list(query: IncompleteExecutionListQuery): Promise<IncompleteExecutionDocument[]> {
    const filter = ieQueryFilter(query.orgId, {
      ...query.filter,
      ...(query.scenarioId === undefined ? {} : { scenarioIds: [query.scenarioId] }),
      ...(query.status ? { statuses: [query.status] } : {}),
      ...(query.errorType ? { errorTypes: [query.errorType] } : {}),
    });
    if (query.executionId !== undefined) filter.executionId = query.executionId;
    const dir = query.sortDir === 'asc' ? 1 : -1;
    return this.collection
      .find(filter, { projection: { blueprint: 0, context: 0 } })
      .sort({ [query.sortBy]: dir, _id: dir })
      .skip(query.offset)
      .limit(query.limit)
      .toArray();
  }

  /** How many of the organization's IEs a query matches, created no later than `upTo` when given. */
  countMatching(orgId: number, query: IeQuery, upTo?: Date): Promise<number> {
    return this.collection.countDocuments(upTo ? ieQueryPageFilter(orgId, query, upTo) : ieQueryFilter(orgId, query));
  }

  /**
   * A page of the IEs a query matches, newest first, created no later than `upTo` and after
   * `cursor`: a stable walk (IEs parked meanwhile are newer than `upTo`), each page an index range.
   */
  pageMatching(
    orgId: number,
    query: IeQuery,
    page: { upTo: Date; cursor?: IeQueryCursor; limit: number },
  ): Promise<IncompleteExecutionSummary[]> {
    return this.collection
      .find(ieQueryPageFilter(orgId, query, page.upTo, page.cursor), { projection: { blueprint: 0, context: 0 } })
      .sort({ created: -1, _id: -1 })
      .limit(page.limit)
      .toArray();
  }

  /** Ids of the scenario's IEs in the middle of an attempt, or waiting for an attempt slot. */
  async inProgressIds(orgId: number, scenarioId: number): Promise<string[]> {
    const docs = await this.collection
      .find(
        { orgId, scenarioId, deleted: false, $or: [{ status: 'in_progress' }, { waitingForSlot: true }] },
        { projection: { _id: 1 } },
      )
      .toArray();
    return docs.map((d) => d._id);
  }

  /** IEs a run parked that are not deleted (a run's detail). */
  countByExecution(orgId: number, executionId: string): Promise<number> {
    return this.collection.countDocuments({ orgId, executionId, deleted: false });
  }

  /** Unresolved, undeleted IEs of a scenario (Make's dlqCount). */
  countOpen(orgId: number, scenarioId: number): Promise<number> {
    return this.collection.countDocuments({ orgId, scenarioId, resolved: false, deleted: false });
  }

  // --- Maintenance: purge and reconcile (app-level sweeps; FerretDB has no TTL indexes) ---

  /**
   * Resolved IEs and tombstones whose retention is over: resolved before `before`, or deleted
   * before `before`, and neither more recently (a resolved IE deleted later keeps its tombstone
   * for the full retention after `deletedAt`). At most `limit`, so one sweep stays bounded.
   */
  async purgeable(before: Date, limit: number): Promise<PurgeableIncompleteExecution[]> {
    const docs = await this.collection
      .find(
        {
          $or: [
            { resolved: true, resolvedAt: { $lt: before }, deletedAt: { $not: { $gte: before } } },
            { deleted: true, deletedAt: { $lt: before }, resolvedAt: { $not: { $gte: before } } },
          ],
        },
        { projection: { _id: 1, orgId: 1 } },
      )
      .limit(limit)
      .toArray();
    return docs.map((doc) => ({ ieId: doc._id, orgId: doc.orgId }));
  }

  /**
   * Removes purged IEs: their attempt logs (executions with their `ieId`) and change logs first,
   * the documents last, so an interrupted purge leaves documents that the next sweep finds again.
   * Only resolved IEs and tombstones are ever removed, whatever ids are given.
   */
  async purge(
    ieIds: readonly string[],
    executions: ExecutionStore,
    changes?: IeChangeStore,
  ): Promise<{ documents: number; attemptLogs: number; changes: number }> {
    if (ieIds.length === 0) return { documents: 0, attemptLogs: 0, changes: 0 };
    const closed = await this.collection
      .find({ _id: { $in: [...ieIds] }, $or: [{ resolved: true }, { deleted: true }] }, { projection: { _id: 1 } })
      .toArray();
    const ids = closed.map((doc) => doc._id);
    if (ids.length === 0) return { documents: 0, attemptLogs: 0, changes: 0 };
    const logs = await executions.collection.deleteMany({ ieId: { $in: ids } });
    const changeEntries = changes ? await changes.purge(ids) : 0;
    const documents = await this.collection.deleteMany({
      _id: { $in: ids },
      $or: [{ resolved: true }, { deleted: true }],
    });
    return { documents: documents.deletedCount, attemptLogs: logs.deletedCount, changes: changeEntries };
  }

  /** What each IE of the organization that counts (not resolved, not deleted) stores, by ieId. */
  async openSizes(orgId: number): Promise<Map<string, number>> {
    const docs = await this.collection
      .find({ orgId, resolved: false, deleted: false }, { projection: { _id: 1, size: 1 } })
      .toArray();
    return new Map(docs.map((doc) => [doc._id, doc.size]));
  }

  /** Every IE that is not resolved or deleted, in `_id` order, without its blueprint and bundles. */
  async *open(batchSize = 500): AsyncGenerator<IncompleteExecutionSummary> {
    let after = '';
    for (;;) {
      const docs: IncompleteExecutionSummary[] = await this.collection
        .find({ _id: { $gt: after }, resolved: false, deleted: false }, { projection: { blueprint: 0, context: 0 } })
        .sort({ _id: 1 })
        .limit(batchSize)
        .toArray();
      yield* docs;
      if (docs.length < batchSize) return;
      after = docs[docs.length - 1]!._id;
    }
  }

  /** The IEs among `ieIds` that have a document (any state), by id, without blueprint and bundles. */
  async findMany(ieIds: readonly string[]): Promise<Map<string, IncompleteExecutionSummary>> {
    if (ieIds.length === 0) return new Map();
    const docs = await this.collection
      .find({ _id: { $in: [...ieIds] } }, { projection: { blueprint: 0, context: 0 } })
      .toArray();
    return new Map(docs.map((doc) => [doc._id, doc]));
  }
}
