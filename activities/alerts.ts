/**
 * Delivering an alert window's digest (docs/alerts.md): the window is closed, its alerts claimed,
 * the digest built once and kept (a retry sends the same one), then sent to each channel that does
 * not have it yet. A channel that fails makes the activity fail after the others were tried, and
 * its retry sends only to the channels still missing.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createTransport } from 'nodemailer';
import {
  buildAlertDigest,
  digestAsText,
  withDigestLinks,
  type AlertDigest,
  type AlertChannel,
} from '../src/domain/alerts';
import { EgressPolicy } from '../src/egress/egress-policy';
import { DEFAULT_SMTP_CONNECTION, type SmtpConnection } from '../src/modules';
import { sendHttpRequest } from '../src/modules/http-transport';
import type { Store } from '../src/store';
import type { AlertDigestInput } from '../workflows/alert-digest';

export interface AlertDeliveryDeps {
  store: Store;
  /** Where people open imex (links in digests): the API's origin, e.g. `http://127.0.0.1:3000`. */
  publicUrl?: string;
  /** The deployment's SMTP connections by name, for e-mail channels (`parseSmtpConnections`). */
  smtpConnections?: ReadonlyMap<string, SmtpConnection>;
  /** How long one channel may take to answer. */
  channelTimeoutMs?: number;
  /** Where webhook channels may be (src/egress/egress-policy.ts); the strict default without it. */
  egress?: EgressPolicy;
}

const DEFAULT_CHANNEL_TIMEOUT_MS = 10_000;
/** A channel's answer is not read; a large one is cut off rather than kept. */
const CHANNEL_MAX_RESPONSE_BYTES = 64 * 1024;
const strictEgress = new EgressPolicy();

export function createAlertActivities(deps: AlertDeliveryDeps) {
  const { store } = deps;

  async function resolvedAmong(ieIds: string[]): Promise<Set<string>> {
    const resolved = new Set<string>();
    // Point reads by `_id`: indexed on FerretDB too.
    await Promise.all(
      ieIds.map(async (ieId) => {
        const doc = await store.incompleteExecutions.collection.findOne(
          { _id: ieId },
          { projection: { resolved: 1, status: 1 } },
        );
        if (doc?.resolved || doc?.status === 'resolved') resolved.add(ieId);
      }),
    );
    return resolved;
  }

  async function send(channel: AlertChannel, digest: AlertDigest): Promise<void> {
    if (channel.type === 'email') return sendEmail(channel, digest);
    const timeoutMs = deps.channelTimeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
    // The webhook URL is the organization's: the egress policy applies as to modules' requests.
    const response = await sendHttpRequest({
      url: new URL(channel.url),
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `imex-digest-${digest.id}` },
      body: Buffer.from(
        JSON.stringify({
          type: 'imex.alert_digest',
          channel: channel.id,
          digest: withDigestLinks(digest, deps.publicUrl),
        }),
      ),
      timeoutMs,
      maxResponseBytes: CHANNEL_MAX_RESPONSE_BYTES,
      followRedirect: true,
      followAllRedirects: false,
      rejectUnauthorized: true,
      gzip: false,
      signal: AbortSignal.timeout(timeoutMs),
      egress: deps.egress ?? strictEgress,
    });
    if (response.statusCode < 200 || response.statusCode >= 300) throw new Error(`HTTP ${response.statusCode}`);
  }

  /** The digest as a text e-mail; its Message-ID names digest and channel, so a re-send is recognisable. */
  async function sendEmail(channel: Extract<AlertChannel, { type: 'email' }>, digest: AlertDigest): Promise<void> {
    const name = channel.connection ?? DEFAULT_SMTP_CONNECTION;
    const connection = deps.smtpConnections?.get(name);
    if (!connection) throw new Error(`no SMTP connection named "${name}" (IMEX_SMTP_URL, IMEX_SMTP_CONNECTIONS)`);
    const timeoutMs = deps.channelTimeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS;
    const transport = createTransport({
      url: connection.url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      logger: false,
    });
    try {
      const { subject, text } = digestAsText(digest, deps.publicUrl);
      await transport.sendMail({
        from: connection.from ?? 'imex <imex@localhost>',
        to: channel.to,
        subject,
        text,
        messageId: `<imex-digest-${digest.id.replace(':', '-')}-${channel.id}@imex>`,
      });
    } catch (err) {
      // The message names the server's answer, never the connection's URL (it holds a password).
      throw new Error(`SMTP connection "${name}": ${(err as Error).message}`);
    } finally {
      transport.close();
    }
  }

  async function deliverAlertDigest(input: AlertDigestInput): Promise<{ delivered: string[] }> {
    const { orgId, window, windowMs } = input;
    const closed = await store.alerts.close(orgId, window);
    let digest = closed.digest;
    if (digest === undefined) {
      const events = await store.alerts.claimWindow(orgId, window);
      const parked = events.filter((e) => e.kind === 'park' && e.ieId).map((e) => e.ieId as string);
      const built = buildAlertDigest({ orgId, window, windowMs, events, resolvedIeIds: await resolvedAmong(parked) });
      digest = await store.alerts.keepDigest(orgId, window, built ?? null);
    }
    if (!digest) return { delivered: [] };
    // The channels as configured now: one removed since is not sent to.
    const channels = (await store.alerts.getSettings(orgId))?.channels ?? [];
    const failures: string[] = [];
    for (const channel of channels) {
      if (closed.deliveredTo.includes(channel.id)) continue;
      try {
        await send(channel, digest);
        await store.alerts.markDelivered(orgId, window, channel.id);
      } catch (err) {
        failures.push(
          `${channel.id} (${channel.type === 'webhook' ? channel.url : channel.to.join(', ')}): ${(err as Error).message}`,
        );
      }
    }
    if (failures.length > 0) {
      throw ApplicationFailure.retryable(
        `alert digest ${digest.id} not delivered to ${failures.join('; ')}`,
        'AlertChannelError',
      );
    }
    return { delivered: channels.map((c) => c.id) };
  }

  return { deliverAlertDigest };
}
