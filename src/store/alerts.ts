/**
 * Alert digests in MongoDB (docs/alerts.md):
 *
 * - `alert_settings`: per organization (`_id` = orgId) its channels, rules and window.
 * - `alert_events`: each alert, `_id` = `<orgId>:<key>` (a retried recording writes nothing new),
 *   with the window it falls into and, once a digest took it, `claimed` = that window.
 * - `alert_digests`: per organization and window (`_id` = `<orgId>:<window>`), written when the
 *   window closes: `closedAt`, the digest sent, and the channels it was delivered to.
 *
 * Nothing is lost between a recording and a closing window, without transactions: the recorder
 * inserts its event, then looks whether the window has closed; the deliverer closes the window,
 * then claims the window's unclaimed events one by one (`claimed: null` → its window). An event
 * whose recorder finds the window closed is moved to the next window only if it is still
 * unclaimed (a single-document conditional update), so it is either in the closing digest or in
 * the next one, never in both and never in none.
 */
import type { Collection, Db } from 'mongodb';
import type { AlertDigest, AlertEvent, AlertSettings } from '../domain/alerts';
import { isDuplicateKeyError } from './duplicate-key';

interface SettingsDocument extends AlertSettings {
  _id: number;
  updatedAt: Date;
}

/** The alert itself (its key is in `_id`), where it is, and which digest took it. */
interface EventDocument extends Omit<AlertEvent, 'key'> {
  _id: string;
  window: number;
  claimed: number | null;
}

interface DigestDocument {
  _id: string;
  orgId: number;
  window: number;
  closedAt: Date;
  digest?: AlertDigest | null;
  deliveredTo: string[];
}

/** Claims per call: a window with more alerts is claimed over several calls. */
const CLAIM_BATCH = 500;

export class AlertStore {
  readonly settings: Collection<SettingsDocument>;
  readonly events: Collection<EventDocument>;
  readonly digests: Collection<DigestDocument>;

  constructor(db: Db) {
    this.settings = db.collection<SettingsDocument>('alert_settings');
    this.events = db.collection<EventDocument>('alert_events');
    this.digests = db.collection<DigestDocument>('alert_digests');
  }

  async ensureIndexes(): Promise<void> {
    await this.events.createIndex({ orgId: 1, window: 1, claimed: 1 }, { name: 'org_window_claimed' });
    await this.digests.createIndex({ orgId: 1, window: -1 }, { name: 'org_window' });
  }

  async getSettings(orgId: number): Promise<AlertSettings | undefined> {
    const doc = await this.settings.findOne({ _id: orgId });
    if (!doc) return undefined;
    const { channels, rules, windowSeconds } = doc;
    return { channels, rules, windowSeconds };
  }

  async putSettings(orgId: number, settings: AlertSettings): Promise<void> {
    await this.settings.replaceOne({ _id: orgId }, { ...settings, updatedAt: new Date() }, { upsert: true });
  }

  /** Records an alert in `window`; false when it was recorded before (a retried recording). */
  async record(event: AlertEvent, window: number): Promise<boolean> {
    const { key, ...fields } = event;
    const doc: EventDocument = { _id: `${event.orgId}:${key}`, window, claimed: null, ...fields };
    try {
      await this.events.insertOne(doc);
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  /** The window an alert is in now (it may have been moved), or undefined once a digest claimed it. */
  async unclaimedWindowOf(orgId: number, key: string): Promise<number | undefined> {
    const doc = await this.events.findOne({ _id: `${orgId}:${key}` });
    return doc && doc.claimed === null ? doc.window : undefined;
  }

  async isClosed(orgId: number, window: number): Promise<boolean> {
    return (await this.digests.findOne({ _id: `${orgId}:${window}` })) !== null;
  }

  /** Moves an unclaimed alert from a closed window to `to`; false when a digest claimed it first. */
  async moveUnclaimed(orgId: number, key: string, from: number, to: number): Promise<boolean> {
    const result = await this.events.updateOne(
      { _id: `${orgId}:${key}`, window: from, claimed: null },
      { $set: { window: to } },
    );
    return result.modifiedCount === 1;
  }

  /** Closes the window (idempotent): alerts recorded from now on find it closed and move on. */
  async close(orgId: number, window: number): Promise<DigestDocument> {
    const _id = `${orgId}:${window}`;
    try {
      await this.digests.insertOne({ _id, orgId, window, closedAt: new Date(), deliveredTo: [] });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    return (await this.digests.findOne({ _id })) as DigestDocument;
  }

  /**
   * Claims every unclaimed alert of the closed window for its digest, then returns all the alerts
   * the window claimed (also those a crashed earlier delivery claimed).
   */
  async claimWindow(orgId: number, window: number): Promise<AlertEvent[]> {
    for (;;) {
      // One by one, by `_id`: FerretDB serves point updates from its index, and each claim is
      // atomic against a recorder's move of the same alert.
      const unclaimed = await this.events
        .find({ orgId, window, claimed: null }, { projection: { _id: 1 } })
        .limit(CLAIM_BATCH)
        .toArray();
      if (unclaimed.length === 0) break;
      for (const { _id } of unclaimed) {
        await this.events.updateOne({ _id, window, claimed: null }, { $set: { claimed: window } });
      }
    }
    const claimed = await this.events.find({ orgId, window, claimed: window }).toArray();
    return claimed.map(({ _id, window: _window, claimed: _claimed, ...fields }) => ({
      ...fields,
      key: _id.slice(String(orgId).length + 1),
    }));
  }

  /** Keeps the digest built for the window (null: nothing to say), so a retry sends the same one. */
  async keepDigest(orgId: number, window: number, digest: AlertDigest | null): Promise<AlertDigest | null> {
    const _id = `${orgId}:${window}`;
    await this.digests.updateOne({ _id, digest: { $exists: false } }, { $set: { digest } });
    const doc = await this.digests.findOne({ _id });
    return doc?.digest ?? null;
  }

  async markDelivered(orgId: number, window: number, channelId: string): Promise<void> {
    await this.digests.updateOne({ _id: `${orgId}:${window}` }, { $addToSet: { deliveredTo: channelId } });
  }

  /** Delivered digests of the organization, newest first (for the API). */
  async listDigests(orgId: number, limit: number): Promise<DigestDocument[]> {
    return this.digests.find({ orgId }).sort({ window: -1 }).limit(limit).toArray();
  }
}
