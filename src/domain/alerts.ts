/**
 * Alert digests: an organization is told once per window what happened to its incomplete
 * executions, not once per park. Pure shapes and rules shared by the activities that record and
 * deliver alerts, the digest workflow and the API.
 *
 * An alert is recorded where the thing happened, after it is durable, under an id that names the
 * thing (`park:<ieId>`), so a retried activity records it once. Alerts fall into windows of the
 * organization's choosing (`windowSeconds`); when a window ends its alerts are grouped per
 * scenario, kind and error type into one digest, which each channel gets once.
 */
export const alertKinds = ['park', 'unresolved', 'quota_80', 'quota_full', 'deactivated'] as const;
export type AlertKind = (typeof alertKinds)[number];

/** A receiver of digests: an HTTP endpoint, or e-mail through one of the deployment's SMTP connections. */
export type AlertChannel =
  | {
      /** Names the channel in the delivery ledger (unique per organization). */
      id: string;
      type: 'webhook';
      url: string;
    }
  | {
      id: string;
      type: 'email';
      to: string[];
      /** The SMTP connection's name (`IMEX_SMTP_URL` is `default`, the default). */
      connection?: string;
    };

export interface AlertSettings {
  channels: AlertChannel[];
  /** Which kinds are notified; a kind left out is not. */
  rules: Record<AlertKind, boolean>;
  /** Alerts within one window go out as one digest at its end. */
  windowSeconds: number;
}

export const DEFAULT_ALERT_WINDOW_SECONDS = 300;
export const MAX_ALERT_CHANNELS = 10;
/** IE ids listed per group of a digest; the count is always exact. */
export const MAX_IES_PER_DIGEST_GROUP = 50;

export interface AlertEvent {
  /** What happened, as an idempotency key: `park:<ieId>`, `unresolved:<ieId>`, `quota_80:<orgId>:<n>` … */
  key: string;
  orgId: number;
  kind: AlertKind;
  at: Date;
  scenarioId?: number;
  ieId?: string;
  errorType?: string;
  message: string;
}

/**
 * The window an instant falls into, named by its start (epoch ms): windows are aligned to the
 * epoch and `windowMs` long, so a change of the window length starts fresh windows.
 */
export function alertWindowOf(at: Date, windowMs: number): number {
  return Math.floor(at.getTime() / windowMs) * windowMs;
}

export interface DigestGroup {
  kind: AlertKind;
  scenarioId: number | null;
  errorType: string | null;
  count: number;
  /** Up to {@link MAX_IES_PER_DIGEST_GROUP} IE ids, oldest first. */
  ieIds: string[];
  /** One message of the group (the first), for a human reading the digest. */
  example: string;
  firstAt: string;
  lastAt: string;
}

export interface AlertDigest {
  /** `<orgId>:<window start ms>`: a receiver deduplicates on it (also sent as the Idempotency-Key header). */
  id: string;
  orgId: number;
  windowStart: string;
  windowEnd: string;
  groups: DigestGroup[];
  /** Parks left out because their IE resolved by auto-retry within the window. */
  suppressed: number;
}

/**
 * Groups a window's alerts into its digest. An IE reported as unresolved is not reported as parked
 * too, and a park whose IE resolved within the window (auto-retry) is left out: by the time the
 * digest goes nobody needs to act on it. Returns undefined when nothing is left to say.
 */
export function buildAlertDigest(input: {
  orgId: number;
  window: number;
  windowMs: number;
  events: AlertEvent[];
  /** IEs of the window's parks that are resolved by now. */
  resolvedIeIds: ReadonlySet<string>;
}): AlertDigest | undefined {
  const unresolved = new Set(input.events.filter((e) => e.kind === 'unresolved' && e.ieId).map((e) => e.ieId));
  let suppressed = 0;
  const kept = input.events.filter((e) => {
    if (e.kind !== 'park' || e.ieId === undefined) return true;
    if (unresolved.has(e.ieId)) return false;
    if (input.resolvedIeIds.has(e.ieId)) {
      suppressed++;
      return false;
    }
    return true;
  });
  if (kept.length === 0) return undefined;
  const groups = new Map<string, DigestGroup>();
  for (const event of [...kept].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const name = `${event.kind}|${event.scenarioId ?? ''}|${event.errorType ?? ''}`;
    const at = event.at.toISOString();
    let group = groups.get(name);
    if (!group) {
      group = {
        kind: event.kind,
        scenarioId: event.scenarioId ?? null,
        errorType: event.errorType ?? null,
        count: 0,
        ieIds: [],
        example: event.message,
        firstAt: at,
        lastAt: at,
      };
      groups.set(name, group);
    }
    group.count++;
    group.lastAt = at;
    if (event.ieId && group.ieIds.length < MAX_IES_PER_DIGEST_GROUP) group.ieIds.push(event.ieId);
  }
  return {
    id: `${input.orgId}:${input.window}`,
    orgId: input.orgId,
    windowStart: new Date(input.window).toISOString(),
    windowEnd: new Date(input.window + input.windowMs).toISOString(),
    groups: [...groups.values()],
    suppressed,
  };
}

/**
 * The digest as sent: each group's IEs with links to the API and the web page, when imex's public
 * URL is known (`IMEX_PUBLIC_URL`).
 */
export function withDigestLinks(digest: AlertDigest, publicUrl?: string) {
  const base = publicUrl?.replace(/\/$/, '');
  if (!base) return digest;
  return {
    ...digest,
    groups: digest.groups.map((group) => ({
      ...group,
      links: group.ieIds.map((ieId) => {
        const hash = new URLSearchParams({
          ...(group.scenarioId === null ? {} : { scenario: String(group.scenarioId) }),
          dlq: ieId,
        });
        return { ieId, api: `${base}/api/v2/dlqs/${ieId}`, page: `${base}/ui#${hash}` };
      }),
    })),
  };
}

/** The quota alert an organization's usage crosses into, if any (`quota_full` at the limit). */
export function quotaAlertOf(usedBytes: number, limitBytes: number): 'quota_80' | 'quota_full' | undefined {
  if (limitBytes <= 0) return undefined;
  if (usedBytes >= limitBytes) return 'quota_full';
  if (usedBytes >= limitBytes * 0.8) return 'quota_80';
  return undefined;
}

/** The digest workflow of an organization's window: one per window, started by its first alert. */
export function alertDigestWorkflowId(taskQueue: string, orgId: number, window: number): string {
  return `alerts-${taskQueue}-${orgId}-${window}`;
}

const kindTitles: Record<AlertKind, string> = {
  park: 'parked (auto-retry scheduled)',
  unresolved: 'waiting for a person',
  quota_80: 'incomplete-executions storage at 80 % or more',
  quota_full: 'incomplete-executions storage full',
  deactivated: 'scenario deactivated',
};

/** The digest as a plain-text e-mail: a subject, and one paragraph per group with its links. */
export function digestAsText(digest: AlertDigest, publicUrl?: string): { subject: string; text: string } {
  const linked = withDigestLinks(digest, publicUrl);
  const total = digest.groups.reduce((sum, g) => sum + g.count, 0);
  const subject = `imex: ${total} alert${total === 1 ? '' : 's'} from ${digest.windowStart.slice(0, 16).replace('T', ' ')} UTC`;
  const lines = [`imex alert digest ${digest.id}: ${digest.windowStart} to ${digest.windowEnd}`, ''];
  for (const group of linked.groups) {
    const where = [group.scenarioId === null ? '' : `scenario ${group.scenarioId}`, group.errorType ?? '']
      .filter(Boolean)
      .join(', ');
    lines.push(`${group.count} ${kindTitles[group.kind]}${where ? ` (${where})` : ''}`, `  e.g. ${group.example}`);
    const links = 'links' in group ? (group.links as { page: string }[]).map((l) => l.page) : group.ieIds;
    for (const link of links) lines.push(`  ${link}`);
    if (group.count > group.ieIds.length) lines.push(`  and ${group.count - group.ieIds.length} more`);
    lines.push('');
  }
  if (digest.suppressed > 0)
    lines.push(`${digest.suppressed} parked and resolved by auto-retry within the window (not listed).`);
  return { subject, text: lines.join('\n') };
}
