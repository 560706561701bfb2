/**
 * Make's data stores per organization: data structures (`data_structures`), data stores
 * (`data_stores`) and their committed records (`data_store_records`).
 *
 * Records are user data, opaque to the store: each is kept as JSON text under its key, never as a
 * document whose keys come from users. A record's `_id` is `<storeId>:<key>`, so a key is unique
 * within its store by the `_id` index (and the `store_key` index, which also orders listings), on
 * MongoDB and FerretDB alike; every lookup by key is an `_id` point read.
 *
 * Writes here are committed writes. A scenario run stages its writes and commits them through
 * data-store-transactions.ts, which applies them with the `apply*` methods below: each idempotent
 * (a record remembers the commit that last wrote it), so a commit cut off half-way can run again.
 */
import type { Collection, Db } from 'mongodb';
import { recordBytes, type DataStructureField, type DataStructureSpec } from '../domain';
import { isDuplicateKeyError } from './duplicate-key';
import { FieldCipher } from './field-cipher';
import { insertWithNextId } from './sequential-id';

/** Make: at most 1,000 data stores per organization. */
export const MAX_DATA_STORES_PER_ORG = 1000;
export const MB = 1024 * 1024;

interface DataStructureDocument {
  _id: number;
  orgId: number;
  name: string;
  /** The fields, as JSON text (user-chosen names never become document keys). */
  spec: string;
  strict: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface DataStructure extends DataStructureSpec {
  id: number;
  orgId: number;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

interface DataStoreDocument {
  _id: number;
  orgId: number;
  name: string;
  datastructureId: number | null;
  maxSizeBytes: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DataStore {
  id: number;
  orgId: number;
  name: string;
  datastructureId: number | null;
  maxSizeBytes: number;
  createdAt: Date;
  updatedAt: Date;
}

interface DataStoreRecordDocument {
  /** `<storeId>:<key>`. */
  _id: string;
  storeId: number;
  key: string;
  /** The record's data as JSON text. */
  data: string;
  /** Key and data in bytes: what the record counts against its store's size. */
  bytes: number;
  /** Bumped by each write. */
  version: number;
  /** The commit that last wrote the record (a commit applied again skips it). */
  intent?: string;
  updatedAt: Date;
}

export interface DataStoreRecord {
  key: string;
  data: Record<string, unknown>;
}

export interface DataStoreUsage {
  records: number;
  sizeBytes: number;
}

export function recordId(storeId: number, key: string): string {
  return `${storeId}:${key}`;
}

function structureFrom(doc: DataStructureDocument): DataStructure {
  return {
    id: doc._id,
    orgId: doc.orgId,
    name: doc.name,
    spec: JSON.parse(doc.spec) as DataStructureField[],
    strict: doc.strict,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

function storeFrom(doc: DataStoreDocument): DataStore {
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

export class DataStoreStore {
  readonly structures: Collection<DataStructureDocument>;
  readonly stores: Collection<DataStoreDocument>;
  readonly records: Collection<DataStoreRecordDocument>;
  private readonly storeOrgs = new Map<number, number>();

  constructor(
    db: Db,
    /** Records' data is user data: sealed at rest with a keyring (field-cipher.ts); keys stay plaintext (lookups). */
    private readonly cipher = new FieldCipher(),
  ) {
    this.structures = db.collection<DataStructureDocument>('data_structures');
    this.stores = db.collection<DataStoreDocument>('data_stores');
    this.records = db.collection<DataStoreRecordDocument>('data_store_records');
  }

  async ensureIndexes(): Promise<void> {
    await this.structures.createIndex({ orgId: 1, _id: 1 }, { name: 'org_id' });
    await this.stores.createIndex({ orgId: 1, _id: 1 }, { name: 'org_id' });
    // A key is unique within its store (the `_id` says so too); listings are in key order.
    await this.records.createIndex({ storeId: 1, key: 1 }, { name: 'store_key', unique: true });
  }

  // ---- data structures -------------------------------------------------------------------

  async createStructure(input: { orgId: number; name: string } & DataStructureSpec): Promise<DataStructure> {
    const now = new Date();
    const doc = await insertWithNextId(this.structures, (id) => ({
      _id: id,
      orgId: input.orgId,
      name: input.name,
      spec: JSON.stringify(input.spec),
      strict: input.strict,
      createdAt: now,
      updatedAt: now,
    }));
    return structureFrom(doc);
  }

  /** A structure of this organization; another organization's id answers null. */
  async getStructure(orgId: number, id: number): Promise<DataStructure | null> {
    const doc = await this.structures.findOne({ _id: id });
    return doc && doc.orgId === orgId ? structureFrom(doc) : null;
  }

  async listStructures(orgId: number): Promise<DataStructure[]> {
    return (await this.structures.find({ orgId }).sort({ _id: 1 }).toArray()).map(structureFrom);
  }

  async updateStructure(
    orgId: number,
    id: number,
    patch: { name?: string; spec?: DataStructureField[]; strict?: boolean },
  ): Promise<DataStructure | null> {
    const set: Partial<DataStructureDocument> = { updatedAt: new Date() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.spec !== undefined) set.spec = JSON.stringify(patch.spec);
    if (patch.strict !== undefined) set.strict = patch.strict;
    const result = await this.structures.updateOne({ _id: id, orgId }, { $set: set });
    return result.matchedCount === 1 ? this.getStructure(orgId, id) : null;
  }

  /** Whether a data store uses the structure (it may not be deleted then). */
  async structureInUse(orgId: number, id: number): Promise<boolean> {
    return (await this.stores.countDocuments({ orgId, datastructureId: id }, { limit: 1 })) > 0;
  }

  async deleteStructure(orgId: number, id: number): Promise<boolean> {
    return (await this.structures.deleteOne({ _id: id, orgId })).deletedCount === 1;
  }

  // ---- data stores ---------------------------------------------------------------------

  async createDataStore(input: {
    orgId: number;
    name: string;
    datastructureId: number | null;
    maxSizeBytes: number;
  }): Promise<DataStore> {
    const now = new Date();
    const doc = await insertWithNextId(this.stores, (id) => ({
      _id: id,
      orgId: input.orgId,
      name: input.name,
      datastructureId: input.datastructureId,
      maxSizeBytes: input.maxSizeBytes,
      createdAt: now,
      updatedAt: now,
    }));
    return storeFrom(doc);
  }

  async countDataStores(orgId: number): Promise<number> {
    return this.stores.countDocuments({ orgId });
  }

  /** A data store of this organization; another organization's id answers null. */
  async getDataStore(orgId: number, id: number): Promise<DataStore | null> {
    const doc = await this.stores.findOne({ _id: id });
    return doc && doc.orgId === orgId ? storeFrom(doc) : null;
  }

  async listDataStores(orgId: number): Promise<DataStore[]> {
    return (await this.stores.find({ orgId }).sort({ _id: 1 }).toArray()).map(storeFrom);
  }

  async updateDataStore(
    orgId: number,
    id: number,
    patch: { name?: string; maxSizeBytes?: number; datastructureId?: number | null },
  ): Promise<DataStore | null> {
    const set: Partial<DataStoreDocument> = { updatedAt: new Date() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.maxSizeBytes !== undefined) set.maxSizeBytes = patch.maxSizeBytes;
    if (patch.datastructureId !== undefined) set.datastructureId = patch.datastructureId;
    const result = await this.stores.updateOne({ _id: id, orgId }, { $set: set });
    return result.matchedCount === 1 ? this.getDataStore(orgId, id) : null;
  }

  /** Deletes the store and its records (the records first: a retry finishes what a crash left). */
  async deleteDataStore(orgId: number, id: number): Promise<boolean> {
    const store = await this.getDataStore(orgId, id);
    if (!store) return false;
    await this.records.deleteMany({ storeId: id });
    return (await this.stores.deleteOne({ _id: id, orgId })).deletedCount === 1;
  }

  /** The store's structure, or undefined when it is key-and-value only. */
  async structureOf(store: DataStore): Promise<DataStructure | undefined> {
    if (store.datastructureId === null) return undefined;
    return (await this.getStructure(store.orgId, store.datastructureId)) ?? undefined;
  }

  /**
   * How many records the store holds and their size. Summed here from each record's `bytes`: a
   * `$group` `$sum` over a field answers 0 on FerretDB v1 (seen in tests), and the store is bounded
   * by its size limit anyway.
   */
  private async recordFrom(doc: DataStoreRecordDocument): Promise<DataStoreRecord> {
    return { key: doc.key, data: await this.cipher.openJson<Record<string, unknown>>(doc.data) };
  }

  /** The organization a data store belongs to (never changes), whose data key seals its records. */
  private async orgOfStore(storeId: number): Promise<number | undefined> {
    const known = this.storeOrgs.get(storeId);
    if (known !== undefined) return known;
    const doc = await this.stores.findOne({ _id: storeId }, { projection: { orgId: 1 } });
    if (doc) this.storeOrgs.set(storeId, doc.orgId);
    return doc?.orgId;
  }

  async usage(storeId: number): Promise<DataStoreUsage> {
    let records = 0;
    let sizeBytes = 0;
    for await (const doc of this.records.find({ storeId }, { projection: { bytes: 1 } })) {
      records++;
      sizeBytes += doc.bytes ?? 0;
    }
    return { records, sizeBytes };
  }

  // ---- committed records ---------------------------------------------------------------

  async getRecord(storeId: number, key: string): Promise<DataStoreRecord | null> {
    const doc = await this.records.findOne({ _id: recordId(storeId, key) });
    return doc ? this.recordFrom(doc) : null;
  }

  /** The records of these keys that exist, with their sizes. */
  async readRecords(
    storeId: number,
    keys: readonly string[],
  ): Promise<Map<string, DataStoreRecord & { bytes: number }>> {
    const found = new Map<string, DataStoreRecord & { bytes: number }>();
    for (const key of new Set(keys)) {
      const doc = await this.records.findOne({ _id: recordId(storeId, key) });
      if (doc) found.set(key, { ...(await this.recordFrom(doc)), bytes: doc.bytes });
    }
    return found;
  }

  /** Every record of the store, in key order (searches filter in the application: records are opaque). */
  async readAll(storeId: number): Promise<DataStoreRecord[]> {
    const docs = await this.records.find({ storeId }).sort({ key: 1 }).toArray();
    return Promise.all(docs.map((doc) => this.recordFrom(doc)));
  }

  async listRecords(storeId: number, page: { offset: number; limit: number }): Promise<DataStoreRecord[]> {
    const docs = await this.records.find({ storeId }).sort({ key: 1 }).skip(page.offset).limit(page.limit).toArray();
    return Promise.all(docs.map((doc) => this.recordFrom(doc)));
  }

  /** Writes a record now (the API's writes; not part of a run). Idempotent: the same call twice leaves one record. */
  async putRecord(storeId: number, key: string, data: Record<string, unknown>): Promise<DataStoreRecord> {
    await this.applyPut(storeId, key, data);
    return { key, data };
  }

  async deleteRecords(storeId: number, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const result = await this.records.deleteMany({ _id: { $in: keys.map((k) => recordId(storeId, k)) } });
    return result.deletedCount;
  }

  async deleteAllRecords(storeId: number, exceptKeys: readonly string[] = []): Promise<number> {
    const filter = exceptKeys.length ? { storeId, key: { $nin: [...exceptKeys] } } : { storeId };
    return (await this.records.deleteMany(filter)).deletedCount;
  }

  // ---- applying a commit (idempotent) ----------------------------------------------------

  /**
   * Sets a record's data. With `intent` (a commit's id) it is skipped when that commit wrote the
   * record already, and otherwise written only over the version it read (a concurrent writer makes
   * it read again), so applying a commit twice writes each record once.
   */
  async applyPut(storeId: number, key: string, data: Record<string, unknown>, intent?: string): Promise<void> {
    const _id = recordId(storeId, key);
    const text = await this.cipher.sealJson(data, await this.orgOfStore(storeId));
    const fields = { data: text, bytes: recordBytes(key, data), updatedAt: new Date(), ...(intent ? { intent } : {}) };
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.records.findOne({ _id });
      if (intent && current?.intent === intent) return;
      if (!current) {
        try {
          await this.records.insertOne({ _id, storeId, key, version: 1, ...fields });
          return;
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
          continue; // someone else created it meanwhile: read again
        }
      }
      const result = await this.records.updateOne(
        { _id, version: current.version },
        { $set: { ...fields, version: current.version + 1 } },
      );
      if (result.matchedCount === 1) return;
    }
    // Still racing after five reads: the last writer wins, as it would in Make.
    await this.records.updateOne(
      { _id },
      { $set: fields, $inc: { version: 1 }, $setOnInsert: { storeId, key } },
      {
        upsert: true,
      },
    );
  }

  /** Deleting is idempotent by itself. */
  async applyDelete(storeId: number, key: string): Promise<void> {
    await this.records.deleteOne({ _id: recordId(storeId, key) });
  }

  /** Deletes the store's records but `keep` and those the commit `intent` wrote already. */
  async applyClear(storeId: number, keep: readonly string[], intent: string): Promise<void> {
    await this.records.deleteMany({
      storeId,
      intent: { $ne: intent },
      ...(keep.length ? { key: { $nin: [...keep] } } : {}),
    });
  }
}
