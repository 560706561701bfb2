import type { Collection, Db } from 'mongodb';
import { insertWithNextId } from './sequential-id';

/** Make's default: 500 MB of unresolved incomplete executions per organization. */
export const DEFAULT_IE_QUOTA_BYTES = 500 * 1024 * 1024;

export interface Organization {
  _id: number;
  name: string;
  /** Storage limit for incomplete executions that are not resolved or deleted, in bytes. */
  ieQuotaBytes: number;
  createdAt: Date;
}

export class OrganizationStore {
  readonly collection: Collection<Organization>;

  constructor(db: Db) {
    this.collection = db.collection<Organization>('organizations');
  }

  async create(input: { name: string; ieQuotaBytes?: number }): Promise<Organization> {
    return insertWithNextId(this.collection, (id) => ({
      _id: id,
      name: input.name,
      ieQuotaBytes: input.ieQuotaBytes ?? DEFAULT_IE_QUOTA_BYTES,
      createdAt: new Date(),
    }));
  }

  get(id: number): Promise<Organization | null> {
    return this.collection.findOne({ _id: id });
  }

  async setQuota(id: number, ieQuotaBytes: number): Promise<boolean> {
    const result = await this.collection.updateOne({ _id: id }, { $set: { ieQuotaBytes } });
    return result.matchedCount === 1;
  }

  /** The organization called `name`, created when there is none (used for the demo and first start). */
  async ensureNamed(name: string): Promise<Organization> {
    const existing = await this.collection.findOne({ name }, { sort: { _id: 1 } });
    return existing ?? this.create({ name });
  }
}
