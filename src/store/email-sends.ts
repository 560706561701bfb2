/**
 * The sent log of `email:ActionSendEmail` (`email_sends`): one document per operation whose message
 * an SMTP server accepted, keyed by the operation's idempotency key, holding the module's output.
 * A retry of the same operation (a lost activity completion, a worker crash after the send, an IE
 * attempt of it) finds it and answers it instead of sending again. Kept as long as IEs are
 * (maintenance purges both with the same age); the output is opaque JSON text (user data).
 */
import type { Collection, Db } from 'mongodb';
import type { EmailSentLog, OutputBundle } from '../modules';
import { isDuplicateKeyError } from './duplicate-key';
import { FieldCipher } from './field-cipher';

interface EmailSendDocument {
  _id: string;
  sentAt: Date;
  /** The module's output bundle, as JSON text. */
  output: string;
}

export class EmailSendStore implements EmailSentLog {
  readonly collection: Collection<EmailSendDocument>;

  constructor(
    db: Db,
    /** The output names the recipients: sealed at rest with a keyring. */
    private readonly cipher = new FieldCipher(),
  ) {
    this.collection = db.collection<EmailSendDocument>('email_sends');
  }

  async find(idempotencyKey: string): Promise<OutputBundle | undefined> {
    const doc = await this.collection.findOne({ _id: idempotencyKey });
    return doc ? await this.cipher.openJson<OutputBundle>(doc.output) : undefined;
  }

  async record(idempotencyKey: string, output: OutputBundle, now = new Date()): Promise<void> {
    const sealed = await this.cipher.sealJson(output);
    try {
      await this.collection.insertOne({ _id: idempotencyKey, sentAt: now, output: sealed });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err; // recorded by an earlier try: the first record stands
    }
  }

  async purgeOlderThan(cutoff: Date): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany({ sentAt: { $lt: cutoff } });
    return deletedCount;
  }
}
