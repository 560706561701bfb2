/**
 * Webhooks: each hook id points at one scenario (`webhook_hooks`, `_id` = the hook id), and each
 * scenario has a durable queue of accepted payloads (`webhook_queue`), consumed in order with a
 * cursor: by direct delivery (a scenario that is not sequential: src/temporal/webhook-dispatch.ts,
 * entries marked one by one) or by the scenario's coordinator (a sequential one, whose history
 * never holds a waiting payload).
 *
 * Race-free on MongoDB and FerretDB (whose updates are not atomic, reference/ferretdb-mongo.md
 * §3.3): an entry's `_id` is `<scenarioId>:<seq>`, so sequence numbers are allocated by the
 * unique-key insert alone. A writer inserts at (the highest it knows + 1) and moves up on a
 * duplicate; entries are only ever deleted far below the consumer's cursor, and an insert that
 * lands in that deleted region (a writer that read a very stale head) is detected by its missing
 * predecessor and retried above. Readers never see seq n+1 without n: n+1 is inserted only by
 * a writer that saw n (a batch is one ordered insert, lowest first).
 *
 * The cap is a bound on sequence numbers, not a count: a payload numbered above the cursor's
 * `consumedThrough + cap` is refused, so no more than `cap` ever wait, whatever the concurrency.
 */
import crypto from 'node:crypto';
import { MongoBulkWriteError, type Collection, type Db } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';
import { FieldCipher } from './field-cipher';

export interface WebhookHookDocument {
  _id: string;
  orgId: number;
  scenarioId: number;
  createdAt: Date;
}

interface QueueEntryDocument {
  _id: string;
  orgId: number;
  scenarioId: number;
  seq: number;
  /** The run this payload becomes (derived, so it is started at most once). */
  executionId: string;
  /** JSON text of the payload (or of a blob reference when large); removed once consumed. */
  data?: string;
  /** The accepting request's W3C `traceparent` (tracing on): its run joins that trace. */
  traceparent?: string;
  /** The payload's order key, hashed (order-key-hash.ts): set when its scenario orders by key. */
  orderKey?: string;
  receivedAt: Date;
  consumed: boolean;
}

interface QueueCursorDocument {
  _id: number;
  consumedThrough: number;
  updatedAt: Date;
}

export interface QueuedPayload {
  seq: number;
  executionId: string;
  /** JSON text of the payload or its blob reference; absent for an empty request. */
  data?: string;
  traceparent?: string;
  orderKey?: string;
  receivedAt: Date;
}

/** An accepted payload's place in the queue, and the execution id its run will have. */
export type EnqueueResult = { accepted: true; seq: number; executionId: string } | { accepted: false; queued: number };

/** A payload waiting in this process for its batch to be written. */
interface EnqueueWaiter {
  cap: number;
  executionId: string;
  data?: string;
  traceparent?: string;
  orderKey?: string;
  resolve: (result: EnqueueResult) => void;
  reject: (err: unknown) => void;
}

/** One scenario's payloads being written by this process: one batch in flight, the next gathering. */
interface EnqueueLane {
  orgId: number;
  waiting: EnqueueWaiter[];
  writing: boolean;
}

/** Hooks remembered per process. */
const KNOWN_HOOKS_MAX = 10_000;

/** Payloads in one ordered insert (the driver splits a batch into messages of at most 48 MB). */
const MAX_BATCH = 256;

/** Consumed entries kept below the cursor: the margin that makes stale writers detectable. */
const KEEP_CONSUMED = 100;
/**
 * A cursor step of at most this many entries marks and trims them by `_id`, point writes that
 * FerretDB serves from its `_id` index (its range updates and deletes read the whole collection);
 * a longer step, or a first one, goes by range. Below KEEP_CONSUMED, so that every entry a step
 * trims is below the old cursor, hence consumed.
 */
const POINT_STEP_MAX = 32;
const SEQ_DIGITS = 12;
/** Entries the cursor moves over in one `markStarted`, read this many at a time. */
const CURSOR_STEP_MAX = 1000;
const CURSOR_PAGE = 32;

function entryId(scenarioId: number, seq: number): string {
  return `${scenarioId}:${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/** Sequence numbers in (after, through]. */
function seqsBetween(after: number, through: number): number[] {
  return Array.from({ length: Math.max(0, through - after) }, (_, i) => after + 1 + i);
}

/** The run a payload becomes: random, so a payload is started at most once under its own id. */
export function newExecutionId(scenarioId: number): string {
  return crypto
    .createHash('sha256')
    .update(`webhook:${scenarioId}:${Date.now()}:${crypto.randomUUID()}`)
    .digest('hex')
    .slice(0, 32);
}

/** An ordered insert that stopped at a duplicate `_id` (MongoDB and FerretDB report it in `writeErrors`). */
function isBulkDuplicateKeyError(err: unknown): boolean {
  if (!(err instanceof MongoBulkWriteError)) return false;
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  return errors.some((e) => e?.code === 11000 || /duplicate|UNIQUE constraint/i.test(String(e?.errmsg)));
}

/** How many documents of an ordered insert went in before it stopped (all before the first error). */
function insertedBeforeError(err: unknown): number {
  if (err instanceof MongoBulkWriteError) {
    const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    const first = errors.map((e) => e?.index).filter((i): i is number => typeof i === 'number');
    if (first.length > 0) return Math.min(...first);
    return err.insertedCount;
  }
  return 0;
}

/** A high-entropy hook id (160 bits), as Make's hook URLs carry. */
export function newHookId(): string {
  return crypto.randomBytes(20).toString('hex');
}

export class WebhookQueueStore {
  readonly hooks: Collection<WebhookHookDocument>;
  readonly entries: Collection<QueueEntryDocument>;
  readonly cursors: Collection<QueueCursorDocument>;
  /** The highest sequence number this process saw per scenario: inserts start above it. */
  private readonly heads = new Map<number, number>();
  private readonly lanes = new Map<number, EnqueueLane>();
  /** Hooks read (or being read), oldest first. */
  private readonly knownHooks = new Map<string, Promise<WebhookHookDocument | null>>();

  constructor(
    db: Db,
    /** Payloads are user data: sealed at rest with a keyring (field-cipher.ts). */
    private readonly cipher = new FieldCipher(),
  ) {
    this.hooks = db.collection<WebhookHookDocument>('webhook_hooks');
    this.entries = db.collection<QueueEntryDocument>('webhook_queue');
    this.cursors = db.collection<QueueCursorDocument>('webhook_queue_cursors');
  }

  /** Registers a hook id for a scenario (idempotent). */
  async registerHook(hookId: string, orgId: number, scenarioId: number): Promise<void> {
    try {
      await this.hooks.insertOne({ _id: hookId, orgId, scenarioId, createdAt: new Date() });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  /**
   * The hook's scenario. A hook document never changes once written (its scenario checks that it
   * still owns the hook), so found hooks are remembered: a burst reads each hook once, not once
   * per payload (FerretDB serves point reads one at a time, about 10 ms each under load).
   */
  getHook(hookId: string): Promise<WebhookHookDocument | null> {
    const known = this.knownHooks.get(hookId);
    if (known) return known;
    const read = this.hooks.findOne({ _id: hookId }).then(
      (doc) => {
        if (!doc) this.knownHooks.delete(hookId); // unknown now; it may be registered later
        return doc;
      },
      (err: unknown) => {
        this.knownHooks.delete(hookId);
        throw err;
      },
    );
    if (this.knownHooks.size >= KNOWN_HOOKS_MAX) this.knownHooks.delete(this.knownHooks.keys().next().value as string);
    this.knownHooks.set(hookId, read);
    return read;
  }

  /** Payloads accepted and not yet handed to a run (approximate while runs are being started). */
  async queued(scenarioId: number): Promise<number> {
    return this.entries.countDocuments({ scenarioId, consumed: false });
  }

  /**
   * Accepts a payload unless `cap` payloads already wait. Resolves once the entry is durable, with
   * its sequence number and the execution id its run will have (`executionId` when the caller
   * fixed it, e.g. from an idempotency key).
   *
   * Concurrent payloads of one scenario in this process are written together (group commit): one
   * ordered `insertMany` per batch, so a burst costs a few round trips instead of one insert race
   * per payload. The cap is exact under any concurrency, across processes too: a payload's
   * sequence number is its place in the queue, and one above `consumedThrough + cap` is refused
   * instead of inserted (the unique `_id` makes two writers never share a number).
   */
  enqueue(input: {
    orgId: number;
    scenarioId: number;
    data?: string;
    cap: number;
    executionId?: string;
    traceparent?: string;
    /** The payload's order key, hashed. */
    orderKey?: string;
  }): Promise<EnqueueResult> {
    return new Promise<EnqueueResult>((resolve, reject) => {
      let lane = this.lanes.get(input.scenarioId);
      if (!lane) {
        lane = { orgId: input.orgId, waiting: [], writing: false };
        this.lanes.set(input.scenarioId, lane);
      }
      lane.waiting.push({
        cap: input.cap,
        executionId: input.executionId ?? newExecutionId(input.scenarioId),
        ...(input.data === undefined ? {} : { data: input.data }),
        ...(input.traceparent === undefined ? {} : { traceparent: input.traceparent }),
        ...(input.orderKey === undefined ? {} : { orderKey: input.orderKey }),
        resolve,
        reject,
      });
      if (!lane.writing) void this.drainLane(input.scenarioId, lane);
    });
  }

  /** Writes the lane's waiting payloads, batch after batch, until none waits. */
  private async drainLane(scenarioId: number, lane: EnqueueLane): Promise<void> {
    lane.writing = true;
    while (lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0, MAX_BATCH);
      try {
        await this.writeBatch(lane.orgId, scenarioId, batch);
      } catch (err) {
        for (const waiter of batch) waiter.reject(err);
      }
    }
    lane.writing = false;
    this.lanes.delete(scenarioId);
  }

  /**
   * Gives each payload of the batch the next free sequence number (in order) or refuses it when
   * that number is past the cap. Resolves every waiter it settles; throws only for payloads not
   * yet written.
   */
  private async writeBatch(orgId: number, scenarioId: number, batch: EnqueueWaiter[]): Promise<void> {
    let rest = batch;
    const sealed = new Map<EnqueueWaiter, string>();
    for (const waiter of batch) {
      if (waiter.data !== undefined) sealed.set(waiter, await this.cipher.seal(waiter.data, orgId));
    }
    let head = this.heads.get(scenarioId) ?? (await this.readHead(scenarioId));
    let consumed = await this.consumedThrough(scenarioId);
    for (let tries = 0; rest.length > 0; tries++) {
      if (tries >= 1000)
        throw new Error(`could not queue webhook payloads for scenario ${scenarioId}: too many concurrent writers`);
      // Below the cursor a stale head would land among deleted entries: start from the cursor at least.
      head = Math.max(head, consumed);
      const receivedAt = new Date();
      const docs: QueueEntryDocument[] = [];
      const placed: EnqueueWaiter[] = [];
      for (const waiter of rest) {
        const seq = head + docs.length + 1;
        if (seq > consumed + waiter.cap) continue;
        placed.push(waiter);
        docs.push({
          _id: entryId(scenarioId, seq),
          orgId,
          scenarioId,
          seq,
          executionId: waiter.executionId,
          ...(sealed.has(waiter) ? { data: sealed.get(waiter) } : {}),
          ...(waiter.traceparent === undefined ? {} : { traceparent: waiter.traceparent }),
          ...(waiter.orderKey === undefined ? {} : { orderKey: waiter.orderKey }),
          receivedAt,
          consumed: false,
        });
      }
      if (docs.length === 0) {
        // Every one past the cap: read the cursor once more (it may have moved) before refusing.
        const fresh = await this.consumedThrough(scenarioId);
        if (fresh > consumed) {
          consumed = fresh;
          continue;
        }
        for (const waiter of rest) waiter.resolve({ accepted: false, queued: Math.max(0, head - consumed) });
        return;
      }
      let written = docs.length;
      let collided = false;
      try {
        await this.entries.insertMany(docs, { ordered: true });
      } catch (err) {
        if (!isDuplicateKeyError(err) && !isBulkDuplicateKeyError(err)) throw err;
        written = insertedBeforeError(err);
        collided = true;
      }
      const first = docs[0] as QueueEntryDocument;
      if (
        written > 0 &&
        first.seq > 1 &&
        !(await this.entries.findOne({ _id: entryId(scenarioId, first.seq - 1) }, { projection: { _id: 1 } }))
      ) {
        // Our head was so stale that we landed below the cursor, where consumed entries are
        // deleted (readers never look there): take ours back and start above the real head.
        await this.entries.deleteMany({ _id: { $in: docs.slice(0, written).map((d) => d._id) } });
        head = await this.readHead(scenarioId);
        continue;
      }
      placed.slice(0, written).forEach((waiter, i) => {
        const doc = docs[i] as QueueEntryDocument;
        waiter.resolve({ accepted: true, seq: doc.seq, executionId: doc.executionId });
      });
      const done = new Set(placed.slice(0, written));
      rest = rest.filter((waiter) => !done.has(waiter));
      head = written > 0 ? (docs[written - 1] as QueueEntryDocument).seq : head;
      this.heads.set(scenarioId, Math.max(head, this.heads.get(scenarioId) ?? 0));
      if (collided) {
        // Another process took a number: every few collisions read the real head and cursor.
        head = tries % 5 === 4 ? await this.readHead(scenarioId) : head + 1;
        if (tries % 5 === 4) consumed = await this.consumedThrough(scenarioId);
      }
    }
  }

  private async consumedThrough(scenarioId: number): Promise<number> {
    return (await this.cursors.findOne({ _id: scenarioId }))?.consumedThrough ?? 0;
  }

  /** Entries after `after`, in order, at most `limit`. */
  async readAfter(scenarioId: number, after: number, limit: number): Promise<QueuedPayload[]> {
    if (limit <= 0) return [];
    const docs = await this.entries
      .find({ scenarioId, seq: { $gt: after }, consumed: false })
      .sort({ seq: 1 })
      .limit(limit)
      .toArray();
    return Promise.all(docs.map((d) => this.payloadOf(d)));
  }

  /**
   * Ordering per key: the oldest waiting entries whose order key is none of `heldKeys` (the keys
   * of open IEs), at most `limit`. Entries without a key (queued before the scenario had one) are
   * held too: they wait on any open IE, as every payload did then.
   */
  async readWaitingExceptKeys(
    scenarioId: number,
    heldKeys: readonly string[],
    limit: number,
  ): Promise<QueuedPayload[]> {
    if (limit <= 0) return [];
    const docs = await this.entries
      .find({
        scenarioId,
        seq: { $gt: await this.consumedThrough(scenarioId) },
        consumed: false,
        orderKey: { $exists: true, $nin: [...heldKeys] },
      })
      .sort({ seq: 1 })
      .limit(limit)
      .toArray();
    return Promise.all(docs.map((d) => this.payloadOf(d)));
  }

  private async payloadOf(d: QueueEntryDocument): Promise<QueuedPayload> {
    return {
      seq: d.seq,
      executionId: d.executionId,
      ...(d.data === undefined ? {} : { data: await this.cipher.open(d.data) }),
      ...(d.traceparent === undefined ? {} : { traceparent: d.traceparent }),
      ...(d.orderKey === undefined ? {} : { orderKey: d.orderKey }),
      receivedAt: d.receivedAt,
    };
  }

  /**
   * Entries up to `seq` have their runs: their payloads go (the run carries them now), and
   * entries far below are deleted. The scenario's coordinator calls this; direct dispatch through
   * `markStarted`.
   */
  async markConsumedThrough(scenarioId: number, seq: number): Promise<void> {
    if (seq <= 0) return;
    const cursor = await this.cursors.findOne({ _id: scenarioId });
    if (cursor && cursor.consumedThrough >= seq) return;
    if (cursor && seq - cursor.consumedThrough <= POINT_STEP_MAX) {
      const step = seqsBetween(cursor.consumedThrough, seq);
      await this.entries.bulkWrite(
        step.map((s) => ({
          updateOne: {
            filter: { _id: entryId(scenarioId, s) },
            update: { $set: { consumed: true }, $unset: { data: '' } },
          },
        })),
        { ordered: false },
      );
    } else {
      await this.entries.updateMany(
        { scenarioId, seq: { $lte: seq }, consumed: false },
        { $set: { consumed: true }, $unset: { data: '' } },
      );
    }
    await this.trimConsumed(scenarioId, cursor?.consumedThrough, seq);
    await this.cursors.replaceOne(
      { _id: scenarioId },
      { consumedThrough: seq, updatedAt: new Date() },
      { upsert: true },
    );
  }

  /**
   * Payloads not yet handed to a run, oldest first, at most `limit`: what a direct dispatch starts
   * (src/temporal/webhook-dispatch.ts). Runs of several processes may start out of order, so each
   * entry is marked on its own (`markStarted`) and the cursor follows the oldest unmarked one.
   */
  async readWaiting(scenarioId: number, limit: number): Promise<QueuedPayload[]> {
    return this.readAfter(scenarioId, await this.consumedThrough(scenarioId), limit);
  }

  /**
   * These entries have their runs (started, or found started): their payloads go, and the cursor
   * moves over the entries marked so far, never past one still waiting (sequence numbers are dense
   * and a new entry always lands above every existing one, so a contiguous marked run from the
   * cursor up is safe to pass). Idempotent; a cursor write that loses a race to a higher one only
   * leaves the cursor lower for a moment (readers filter on `consumed`, the cap is then stricter).
   */
  async markStarted(scenarioId: number, seqs: number[]): Promise<void> {
    if (seqs.length > 0) {
      await this.entries.updateMany(
        { _id: { $in: seqs.map((seq) => entryId(scenarioId, seq)) } },
        { $set: { consumed: true }, $unset: { data: '' } },
      );
    }
    const cursor = await this.consumedThrough(scenarioId);
    let through = cursor;
    // Page by page: the marked run above the cursor is short (a batch or two), the waiting rest long.
    for (let page = 0; page * CURSOR_PAGE < CURSOR_STEP_MAX; page++) {
      const next = await this.entries
        .find({ scenarioId, seq: { $gt: through } }, { projection: { seq: 1, consumed: 1 } })
        .sort({ seq: 1 })
        .limit(CURSOR_PAGE)
        .toArray();
      const start = through;
      for (const entry of next) {
        if (entry.seq !== through + 1 || !entry.consumed) break;
        through = entry.seq;
      }
      if (through - start < CURSOR_PAGE) break;
    }
    if (through <= cursor) return;
    await this.trimConsumed(scenarioId, cursor, through);
    try {
      await this.cursors.updateOne(
        { _id: scenarioId, consumedThrough: { $lt: through } },
        { $set: { consumedThrough: through, updatedAt: new Date() } },
        { upsert: true },
      );
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // a higher cursor is there already
    }
  }

  /**
   * Deletes the consumed entries far below the cursor as it moves from `from` (unknown: no cursor
   * yet) to `through`: those below `through - KEEP_CONSUMED`.
   */
  private async trimConsumed(scenarioId: number, from: number | undefined, through: number): Promise<void> {
    if (from !== undefined && through - from <= POINT_STEP_MAX) {
      // Exactly the entries this step brings below the line (earlier steps trimmed the rest).
      const gone = seqsBetween(from - KEEP_CONSUMED - 1, through - KEEP_CONSUMED - 1).filter((s) => s > 0);
      if (gone.length === 0) return;
      await this.entries.bulkWrite(
        gone.map((s) => ({ deleteOne: { filter: { _id: entryId(scenarioId, s) } } })),
        { ordered: false },
      );
      return;
    }
    await this.entries.deleteMany({ scenarioId, consumed: true, seq: { $lt: through - KEEP_CONSUMED } });
  }

  private async readHead(scenarioId: number): Promise<number> {
    const [last] = await this.entries
      .find({ scenarioId }, { projection: { seq: 1 } })
      .sort({ seq: -1 })
      .limit(1)
      .toArray();
    const head = last?.seq ?? 0;
    this.heads.set(scenarioId, Math.max(head, this.heads.get(scenarioId) ?? 0));
    return head;
  }
}
