import type { Collection, Db } from 'mongodb';
import { hasWebhookTrigger, type Blueprint, type Scheduling } from '../domain';
import { FieldCipher } from './field-cipher';
import { insertWithNextId } from './sequential-id';
import { newHookId, type WebhookQueueStore } from './webhook-queue';

/** As stored: the blueprint is opaque JSON text (user keys never become document keys). */
interface ScenarioDocument {
  _id: number;
  orgId: number;
  name: string;
  blueprint: string;
  isActive: boolean;
  /** Why the scenario was deactivated by imex (e.g. incomplete-execution storage full). */
  deactivationReason?: string;
  /** How it is triggered besides on demand (Make's export `scheduling`); JSON text. */
  scheduling?: string;
  /** Its webhook's id, when its trigger is `gateway:CustomWebHook`. */
  hookId?: string;
  /** When it was last activated: consecutive errors count from there. */
  activatedAt?: Date;
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
  scheduling?: Scheduling;
  hookId?: string;
  activatedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export class ScenarioStore {
  readonly collection: Collection<ScenarioDocument>;

  constructor(
    db: Db,
    private readonly webhooks?: WebhookQueueStore,
    /** Blueprints hold mapper values (tokens in headers, addresses): sealed at rest with a keyring. */
    private readonly cipher = new FieldCipher(),
  ) {
    this.collection = db.collection<ScenarioDocument>('scenarios');
  }

  private async fromDocument(doc: ScenarioDocument): Promise<Scenario> {
    const { _id, blueprint, scheduling, ...rest } = doc;
    return {
      id: _id,
      blueprint: await this.cipher.openJson<Blueprint>(blueprint),
      ...rest,
      ...(scheduling ? { scheduling: JSON.parse(scheduling) as Scheduling } : {}),
    };
  }

  async create(input: {
    orgId: number;
    name: string;
    blueprint: Blueprint;
    isActive?: boolean;
    scheduling?: Scheduling;
  }): Promise<Scenario> {
    const now = new Date();
    const isActive = input.isActive ?? true;
    // A webhook-triggered scenario gets its hook id with it (registered right after the insert).
    const hookId = this.webhooks && hasWebhookTrigger(input.blueprint) ? newHookId() : undefined;
    const blueprint = await this.cipher.sealJson(input.blueprint, input.orgId);
    const doc = await insertWithNextId(this.collection, (id) => ({
      _id: id,
      orgId: input.orgId,
      name: input.name,
      blueprint,
      isActive,
      ...(input.scheduling ? { scheduling: JSON.stringify(input.scheduling) } : {}),
      ...(hookId ? { hookId } : {}),
      ...(isActive ? { activatedAt: now } : {}),
      createdAt: now,
      updatedAt: now,
    }));
    if (hookId) await this.webhooks?.registerHook(hookId, doc.orgId, doc._id);
    return this.fromDocument(doc);
  }

  /** A scenario of this organization; another organization's id answers null. */
  async get(orgId: number, id: number): Promise<Scenario | null> {
    const doc = await this.collection.findOne({ _id: id });
    return doc && doc.orgId === orgId ? this.fromDocument(doc) : null;
  }

  async list(orgId: number): Promise<Scenario[]> {
    const docs = await this.collection.find({ orgId }).sort({ _id: 1 }).toArray();
    return Promise.all(docs.map((doc) => this.fromDocument(doc)));
  }

  async update(
    orgId: number,
    id: number,
    patch: {
      name?: string;
      blueprint?: Blueprint;
      isActive?: boolean;
      deactivationReason?: string | null;
      /** null: no schedule any more (on demand). */
      scheduling?: Scheduling | null;
    },
  ): Promise<Scenario | null> {
    const now = new Date();
    const set: Partial<ScenarioDocument> = { updatedAt: now };
    const unset: Record<string, ''> = {};
    if (patch.name !== undefined) set.name = patch.name;
    if (patch.blueprint !== undefined) set.blueprint = await this.cipher.sealJson(patch.blueprint, orgId);
    if (patch.isActive !== undefined) set.isActive = patch.isActive;
    // (Re)activation starts a new count of consecutive errors.
    if (patch.isActive === true) set.activatedAt = now;
    if (typeof patch.deactivationReason === 'string') set.deactivationReason = patch.deactivationReason;
    if (patch.scheduling) set.scheduling = JSON.stringify(patch.scheduling);
    if (patch.scheduling === null) unset.scheduling = '';
    // Reactivating clears the reason imex deactivated it for.
    if (patch.deactivationReason === null || patch.isActive === true) unset.deactivationReason = '';
    let hookId: string | undefined;
    if (this.webhooks && patch.blueprint && hasWebhookTrigger(patch.blueprint)) {
      const current = await this.collection.findOne({ _id: id, orgId }, { projection: { hookId: 1 } });
      if (current && !current.hookId) set.hookId = hookId = newHookId();
    }
    const result = await this.collection.updateOne(
      { _id: id, orgId },
      Object.keys(unset).length ? { $set: set, $unset: unset } : { $set: set },
    );
    if (result.matchedCount !== 1) return null;
    if (hookId) await this.webhooks?.registerHook(hookId, orgId, id);
    return this.get(orgId, id);
  }

  /** Removes the scenario (its runs' records stay, as history). Answers whether it existed. */
  async delete(orgId: number, id: number): Promise<boolean> {
    const result = await this.collection.deleteOne({ _id: id, orgId });
    return result.deletedCount === 1;
  }
}
