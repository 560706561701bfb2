/**
 * `alertDigest`: one per organization and alert window (`alerts-<taskQueue>-<orgId>-<window>`),
 * started by the window's first alert. It waits for the window to end, then has its digest built
 * and delivered to every channel (retried until each has it, for up to a day). docs/alerts.md.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { ImexActivities } from '../activities';
import { ACTIVITY_HEARTBEAT_TIMEOUT_MS } from '../src/domain/plain';

/** Alerts recorded in the last moments of the window are in by then. */
const AFTER_WINDOW_MS = 2_000;

const { deliverAlertDigest } = proxyActivities<ImexActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: ACTIVITY_HEARTBEAT_TIMEOUT_MS,
  // A receiver that is down gets the digest when it is back; after a day the digest records who missed it.
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export interface AlertDigestInput {
  orgId: number;
  /** The window's start (epoch ms). */
  window: number;
  windowMs: number;
}

export async function alertDigest(input: AlertDigestInput): Promise<{ delivered: string[] }> {
  const waitMs = input.window + input.windowMs + AFTER_WINDOW_MS - Date.now();
  if (waitMs > 0) await sleep(waitMs);
  return deliverAlertDigest(input);
}
