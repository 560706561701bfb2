/**
 * What `gateway:WebhookRespond` set for a webhook run (`webhook_responses`): the status, headers
 * and body the caller of `POST /hooks/<id>` gets, keyed by the run's execution id. The first
 * response of a run wins (Make answers once); a retried operation writes the same one again.
 */
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';
import { FieldCipher } from './field-cipher';

export interface WebhookResponse {
  status: number;
  headers: { key: string; value: string }[];
  /** The body as sent: text as is, anything else as JSON. */
  body: string;
}

interface WebhookResponseDocument {
  _id: string;
  status: number;
  /** JSON text: user data stays opaque to the store. */
  headers: string;
  body: string;
  createdAt: Date;
}

export class WebhookResponseStore {
  readonly collection: Collection<WebhookResponseDocument>;

  constructor(
    db: Db,
    /** The body is user data: sealed at rest with the deployment's keyring. */
    private readonly cipher = new FieldCipher(),
  ) {
    this.collection = db.collection<WebhookResponseDocument>('webhook_responses');
  }

  /** Records the run's response unless it has one already; true when this one is recorded. */
  async respond(executionId: string, response: WebhookResponse): Promise<boolean> {
    const body = await this.cipher.seal(response.body);
    try {
      await this.collection.insertOne({
        _id: executionId,
        status: response.status,
        headers: JSON.stringify(response.headers),
        body,
        createdAt: new Date(),
      });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async get(executionId: string): Promise<WebhookResponse | undefined> {
    const doc = await this.collection.findOne({ _id: executionId });
    if (!doc) return undefined;
    return {
      status: doc.status,
      headers: JSON.parse(doc.headers) as WebhookResponse['headers'],
      body: await this.cipher.open(doc.body),
    };
  }

  /** Forgets responses recorded before `cutoff` (maintenance, at the IEs' retention). */
  async purgeOlderThan(cutoff: Date): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany({ createdAt: { $lt: cutoff } });
    return deletedCount;
  }
}
