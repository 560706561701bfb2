/**
 * The organizations' connections (Make's keychains, `connections`): the credentials that
 * `http:ActionSendDataBasicAuth` and `http:ActionSendDataAPIKeyAuth` name by id. A blueprint holds
 * the id only; the secret stays here and is read by the module activity alone (never returned by
 * the API, never in a blueprint, a bundle, an IE, a log line or a Temporal payload).
 *
 * Secrets are stored as given: protect the database as you protect these credentials.
 */
import type { Collection, Db } from 'mongodb';
import type { ConnectionSecret, ConnectionType } from '../domain';
import { insertWithNextId } from './sequential-id';
import { FieldCipher } from './field-cipher';

/** A connection as everyone but the module that uses it sees it: no secret. */
export interface Connection {
  id: number;
  orgId: number;
  name: string;
  type: ConnectionType;
  createdAt: Date;
}

interface ConnectionDocument {
  _id: number;
  orgId: number;
  name: string;
  type: ConnectionType;
  /** The secret's fields as JSON text (user data stays opaque to the store). */
  secret: string;
  createdAt: Date;
}

function connectionFrom(doc: ConnectionDocument): Connection {
  return { id: doc._id, orgId: doc.orgId, name: doc.name, type: doc.type, createdAt: doc.createdAt };
}

export class ConnectionStore {
  readonly collection: Collection<ConnectionDocument>;

  constructor(
    db: Db,
    /** Secrets are sealed at rest with the deployment's keyring (docs/security.md). */
    private readonly cipher = new FieldCipher(),
  ) {
    this.collection = db.collection<ConnectionDocument>('connections');
  }

  async ensureIndexes(): Promise<void> {
    await this.collection.createIndex({ orgId: 1, _id: 1 }, { name: 'org_id' });
  }

  async create(orgId: number, name: string, secret: ConnectionSecret): Promise<Connection> {
    const sealed = await this.cipher.sealJson(secret, orgId);
    const doc = await insertWithNextId(this.collection, (id) => ({
      _id: id,
      orgId,
      name,
      type: secret.type,
      secret: sealed,
      createdAt: new Date(),
    }));
    return connectionFrom(doc);
  }

  async list(orgId: number): Promise<Connection[]> {
    const docs = await this.collection
      .find({ orgId }, { projection: { secret: 0 } })
      .sort({ _id: 1 })
      .toArray();
    return docs.map(connectionFrom);
  }

  /** A connection of this organization; another organization's id answers null. */
  async get(orgId: number, id: number): Promise<Connection | null> {
    const doc = await this.collection.findOne({ _id: id, orgId }, { projection: { secret: 0 } });
    return doc ? connectionFrom(doc) : null;
  }

  /** The secret, for the module activity only. */
  async secretOf(orgId: number, id: number): Promise<ConnectionSecret | null> {
    const doc = await this.collection.findOne({ _id: id, orgId });
    return doc ? await this.cipher.openJson<ConnectionSecret>(doc.secret) : null;
  }

  async delete(orgId: number, id: number): Promise<boolean> {
    return (await this.collection.deleteOne({ _id: id, orgId })).deletedCount === 1;
  }
}
