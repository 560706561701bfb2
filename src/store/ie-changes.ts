/**
 * `ie_changes`: the audit trail of each incomplete execution (who changed what, when, why).
 *
 * Entries are numbered per IE (1, 2, 3 …) and addressed by `_id` `<ieId>:<seq>` (seq padded), so
 * a page is a handful of `_id` point reads, the one query shape FerretDB serves from an index
 * (reference/ferretdb-mongo.md §3.2); MongoDB also has `{ ieId, seq }`. A head document
 * `<ieId>:head` holds the last number. The entry itself is opaque JSON text (user data never
 * becomes document keys), and never holds a blob reference: large values are summaries.
 *
 * Recording is idempotent: each entry carries its request's `key`; a retried recording finds its
 * entry (the last one, or the one after the head if the head was not moved yet) and writes nothing
 * new. Requests on one IE are serialised by its workflow, so numbers are not contended; should two
 * writers meet anyway, the unique `_id` makes one take the next number.
 */
import type { Collection, Db } from 'mongodb';
import type { IeChange } from '../domain';
import { isDuplicateKeyError } from './duplicate-key';
import { FieldCipher } from './field-cipher';

interface ChangeDocument {
  _id: string;
  ieId: string;
  orgId: number;
  seq: number;
  key: string;
  at: Date;
  /** JSON text of the entry (an {@link IeChange} without `seq`). */
  data: string;
}

interface HeadDocument {
  _id: string;
  ieId: string;
  head: true;
  seq: number;
}

export type NewIeChange = Omit<IeChange, 'seq'>;

const SEQ_DIGITS = 9;
const changeId = (ieId: string, seq: number) => `${ieId}:${String(seq).padStart(SEQ_DIGITS, '0')}`;
const headId = (ieId: string) => `${ieId}:head`;

export class IeChangeStore {
  readonly collection: Collection<ChangeDocument | HeadDocument>;

  constructor(
    db: Db,
    /** A change's diff quotes bundles and mapper values: sealed at rest with a keyring. */
    private readonly cipher = new FieldCipher(),
  ) {
    this.collection = db.collection<ChangeDocument | HeadDocument>('ie_changes');
  }

  /** Records a change once per `key`; answers its number. */
  async record(orgId: number, key: string, change: NewIeChange): Promise<number> {
    const { ieId } = change;
    let seq = await this.lastSeq(ieId);
    const last = seq > 0 ? await this.entry(ieId, seq) : null;
    if (last?.key === key) return seq;
    const sealed = await this.cipher.sealJson(change, orgId);
    for (;;) {
      seq += 1;
      const existing = await this.entry(ieId, seq);
      if (existing?.key === key) break; // recorded before the head moved
      if (existing) continue;
      try {
        await this.collection.insertOne({
          _id: changeId(ieId, seq),
          ieId,
          orgId,
          seq,
          key,
          at: new Date(change.at),
          data: sealed,
        });
        break;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        seq -= 1; // another writer took it: look at it again
      }
    }
    await this.moveHead(ieId, seq);
    return seq;
  }

  /** The IE's number of changes. */
  async lastSeq(ieId: string): Promise<number> {
    const head = (await this.collection.findOne({ _id: headId(ieId) })) as HeadDocument | null;
    return head?.seq ?? 0;
  }

  /** A page of the trail, newest first (`offset` 0 is the latest change). */
  async page(ieId: string, offset: number, limit: number): Promise<{ total: number; changes: IeChange[] }> {
    const total = await this.lastSeq(ieId);
    const seqs: number[] = [];
    for (let seq = total - offset; seq > 0 && seqs.length < limit; seq--) seqs.push(seq);
    const docs = await Promise.all(seqs.map((seq) => this.entry(ieId, seq)));
    const changes = await Promise.all(
      docs
        .filter((doc): doc is ChangeDocument => doc !== null)
        .map(async (doc) => ({ seq: doc.seq, ...(await this.cipher.openJson<NewIeChange>(doc.data)) })),
    );
    return { total, changes };
  }

  /** Whether the IE's trail holds the change of this request id (a request answered before: idempotent requests). */
  async hasRequest(ieId: string, requestId: string): Promise<boolean> {
    return (await this.collection.findOne({ ieId, key: requestId }, { projection: { _id: 1 } })) !== null;
  }

  /** Removes the trails of purged IEs (before their documents, so an interrupted purge is found again). */
  async purge(ieIds: readonly string[]): Promise<number> {
    if (ieIds.length === 0) return 0;
    const removed = await this.collection.deleteMany({ ieId: { $in: [...ieIds] } });
    return removed.deletedCount;
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ ieId: 1, seq: -1 }, { name: 'ie_seq' });
  }

  private async entry(ieId: string, seq: number): Promise<ChangeDocument | null> {
    return (await this.collection.findOne({ _id: changeId(ieId, seq) })) as ChangeDocument | null;
  }

  private async moveHead(ieId: string, seq: number): Promise<void> {
    try {
      // Never backwards: only a head behind `seq` moves (a missing one is created).
      await this.collection.updateOne(
        { _id: headId(ieId), seq: { $lt: seq } },
        { $set: { seq }, $setOnInsert: { ieId, head: true } },
        { upsert: true },
      );
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // the head is already at `seq` or past it
    }
  }
}
