/**
 * Webhooks: each hook id points at one scenario (`webhook_hooks`, `_id` = the hook id), and each
 * scenario has a durable queue of accepted payloads (`webhook_queue`) that its coordinator
 * consumes in order with a cursor. The coordinator's history never holds a waiting payload.
 *
 * Race-free on MongoDB and FerretDB (whose updates are not atomic, reference/ferretdb-mongo.md
 * §3.3): an entry's `_id` is `<scenarioId>:<seq>`, so sequence numbers are allocated by the
 * unique-key insert alone. A writer inserts at (the highest it knows + 1) and moves up on a
 * duplicate; entries are only ever deleted far below the consumer's cursor, and an insert that
 * lands in that deleted region (a writer that read a very stale head) is detected by its missing
 * predecessor and retried above. Readers never see seq n+1 without n: n+1 is inserted only by
 * a writer that saw n.
 */
import crypto from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';

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
  receivedAt: Date;
}

/** An accepted payload's place in the queue, and the execution id its run will have. */
export type EnqueueResult = { accepted: true; seq: number; executionId: string } | { accepted: false; queued: number };

/** Consumed entries kept below the cursor: the margin that makes stale writers detectable. */
const KEEP_CONSUMED = 100;
const SEQ_DIGITS = 12;

function entryId(scenarioId: number, seq: number): string {
  return `${scenarioId}:${String(seq).padStart(SEQ_DIGITS, '0')}`;
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

  constructor(db: Db) {
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

  getHook(hookId: string): Promise<WebhookHookDocument | null> {
    return this.hooks.findOne({ _id: hookId });
  }

  /** Payloads accepted and not yet handed to a run (approximate while runs are being started). */
  async queued(scenarioId: number): Promise<number> {
    return this.entries.countDocuments({ scenarioId, consumed: false });
  }

  /**
   * Accepts a payload unless `cap` payloads already wait. Resolves once the entry is durable, with
   * its sequence number. The cap is checked before inserting: concurrent requests may pass it by
   * a few, and nothing accepted is ever dropped.
   */
  async enqueue(input: { orgId: number; scenarioId: number; data?: string; cap: number }): Promise<EnqueueResult> {
    const queued = await this.queued(input.scenarioId);
    if (queued >= input.cap) return { accepted: false, queued };
    const receivedAt = new Date();
    let seq = (this.heads.get(input.scenarioId) ?? (await this.readHead(input.scenarioId))) + 1;
    for (let tries = 0; tries < 1000; tries++) {
      const doc: QueueEntryDocument = {
        _id: entryId(input.scenarioId, seq),
        orgId: input.orgId,
        scenarioId: input.scenarioId,
        seq,
        executionId: crypto
          .createHash('sha256')
          .update(`webhook:${input.scenarioId}:${seq}:${receivedAt.getTime()}:${crypto.randomUUID()}`)
          .digest('hex')
          .slice(0, 32),
        ...(input.data === undefined ? {} : { data: input.data }),
        receivedAt,
        consumed: false,
      };
      try {
        await this.entries.insertOne(doc);
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        // Taken: every few collisions read the real head instead of walking up one by one.
        seq = tries % 5 === 4 ? (await this.readHead(input.scenarioId)) + 1 : seq + 1;
        continue;
      }
      if (
        seq > 1 &&
        !(await this.entries.findOne({ _id: entryId(input.scenarioId, seq - 1) }, { projection: { _id: 1 } }))
      ) {
        // Our head was so stale that we landed below the cursor, where consumed entries are deleted.
        await this.entries.deleteOne({ _id: doc._id });
        seq = (await this.readHead(input.scenarioId)) + 1;
        continue;
      }
      this.heads.set(input.scenarioId, Math.max(seq, this.heads.get(input.scenarioId) ?? 0));
      return { accepted: true, seq, executionId: doc.executionId };
    }
    throw new Error(`could not queue a webhook payload for scenario ${input.scenarioId}: too many concurrent writers`);
  }

  /** Entries after `after`, in order, at most `limit`. */
  async readAfter(scenarioId: number, after: number, limit: number): Promise<QueuedPayload[]> {
    if (limit <= 0) return [];
    const docs = await this.entries
      .find({ scenarioId, seq: { $gt: after }, consumed: false })
      .sort({ seq: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => ({
      seq: d.seq,
      executionId: d.executionId,
      ...(d.data === undefined ? {} : { data: d.data }),
      receivedAt: d.receivedAt,
    }));
  }

  /**
   * Entries up to `seq` have their runs: their payloads go (the run carries them now), and
   * entries far below are deleted. Only the scenario's coordinator calls this.
   */
  async markConsumedThrough(scenarioId: number, seq: number): Promise<void> {
    if (seq <= 0) return;
    const cursor = await this.cursors.findOne({ _id: scenarioId });
    if (cursor && cursor.consumedThrough >= seq) return;
    await this.entries.updateMany(
      { scenarioId, seq: { $lte: seq }, consumed: false },
      { $set: { consumed: true }, $unset: { data: '' } },
    );
    await this.entries.deleteMany({ scenarioId, consumed: true, seq: { $lt: seq - KEEP_CONSUMED } });
    await this.cursors.replaceOne(
      { _id: scenarioId },
      { consumedThrough: seq, updatedAt: new Date() },
      { upsert: true },
    );
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
