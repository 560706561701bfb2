import type { Collection, Db } from 'mongodb';
import type { Blueprint } from '../domain';
import { insertWithNextId } from './sequential-id';

/** As stored: the blueprint is opaque JSON text (user keys never become document keys). */
interface ScenarioDocument {
  _id: number;
  orgId: number;
  name: string;
  blueprint: string;
  isActive: boolean;
  /** Why the scenario was deactivated by imex (e.g. incomplete-execution storage full). */
  deactivationReason?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface Scenario {
  id: number;
  orgId: number;
  name: string;
  blueprint: Blueprint;
  isActive: boolean;
  deactivationReason?: string;
  createdAt: Date;
  updatedAt: Date;
}

function fromDocument(doc: ScenarioDocument): Scenario {
  const { _id, blueprint, ...rest } = doc;
  return { id: _id, blueprint: JSON.parse(blueprint) as Blueprint, ...rest };
}

export class ScenarioStore {
  readonly collection: Collection<ScenarioDocument>;

  constructor(db: Db) {
    this.collection = db.collection<ScenarioDocument>('scenarios');
  }

  async create(input: { orgId: number; name: string; blueprint: Blueprint; isActive?: boolean }): Promise<Scenario> {
    const now = new Date();
    const doc = await insertWithNextId(this.collection, (id) => ({
      _id: id,
      orgId: input.orgId,
      name: input.name,
      blueprint: JSON.stringify(input.blueprint),
      isActive: input.isActive ?? true,
      createdAt: now,
      updatedAt: now,
    }));
    return fromDocument(doc);
  }

  /** A scenario of this organization; another organization's id answers null. */
  async get(orgId: number, id: number): Promise<Scenario | null> {
    const doc = await this.collection.findOne({ _id: id });
    return doc && doc.orgId === orgId ? fromDocument(doc) : null;
  }

  async list(orgId: number): Promise<Scenario[]> {
    const docs = await this.collection.find({ orgId }).sort({ _id: 1 }).toArray();
    return docs.map(fromDocument);
  }

  async update(
    orgId: number,
    id: number,
    patch: { name?: string; blueprint?: Blueprint; isActive?: boolean; deactivationReason?: string | null },
  ): Promise<Scenario | null> {
    const set: Partial<ScenarioDocument> = { updatedAt: new Date() };
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.blueprint !== undefined) set.blueprint = JSON.stringify(patch.blueprint);
    if (patch.isActive !== undefined) set.isActive = patch.isActive;
    if (typeof patch.deactivationReason === 'string') set.deactivationReason = patch.deactivationReason;
    // Reactivating clears the reason imex deactivated it for.
    const clearReason = patch.deactivationReason === null || patch.isActive === true;
    const result = await this.collection.updateOne(
      { _id: id, orgId },
      clearReason ? { $set: set, $unset: { deactivationReason: '' } } : { $set: set },
    );
    return result.matchedCount === 1 ? this.get(orgId, id) : null;
  }
}
