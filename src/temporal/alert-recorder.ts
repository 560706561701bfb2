/**
 * Recording an alert (docs/alerts.md): called by the worker's activities where the thing happened,
 * after it is durable, and awaited, so an activity that completes has its alert recorded (a retry
 * records it once: the alert's key names the thing). The alert goes into the current window of
 * the organization; the window's digest workflow is started if it does not run yet. When the
 * organization has no alert settings, or the kind is off, nothing is written.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { alertDigestWorkflowId, alertWindowOf, type AlertEvent, type AlertSettings } from '../domain/alerts';
import type { Store } from '../store';
import type { alertDigest } from '../../workflows/alert-digest';

export interface AlertRecorderDeps {
  store: Store;
  client: Client;
  taskQueue: string;
}

/** An alert to record; `oncePerWindow`: its key is made unique per window (a state such as the quota's). */
export type AlertToRecord = Omit<AlertEvent, 'at'> & { oncePerWindow?: boolean };

/** How long a process trusts the alert settings it read (a change applies within this). */
export const ALERT_SETTINGS_FRESH_MS = 5_000;

/** Per store: settings read lately, and digest workflows this process started (no start RPC per alert). */
const caches = new WeakMap<
  Store,
  { settings: Map<number, { at: number; value: Promise<AlertSettings | undefined> }>; started: Set<string> }
>();

function cacheOf(store: Store) {
  let cache = caches.get(store);
  if (!cache) {
    cache = { settings: new Map(), started: new Set() };
    caches.set(store, cache);
  }
  return cache;
}

function settingsOf(store: Store, orgId: number): Promise<AlertSettings | undefined> {
  const cache = cacheOf(store).settings;
  const hit = cache.get(orgId);
  if (hit && Date.now() - hit.at < ALERT_SETTINGS_FRESH_MS) return hit.value;
  const value = store.alerts.getSettings(orgId);
  cache.set(orgId, { at: Date.now(), value });
  value.catch(() => cache.delete(orgId));
  return value;
}

export async function recordAlert(deps: AlertRecorderDeps, alert: AlertToRecord): Promise<void> {
  const { store } = deps;
  const settings = await settingsOf(store, alert.orgId);
  if (!settings || !settings.rules[alert.kind] || settings.channels.length === 0) return;
  const windowMs = settings.windowSeconds * 1000;
  const now = new Date();
  const { oncePerWindow, ...fields } = alert;
  const event = { ...fields, at: now, key: oncePerWindow ? `${alert.key}:${alertWindowOf(now, windowMs)}` : alert.key };
  await store.alerts.record(event, alertWindowOf(now, windowMs));
  // Where the alert is now: a retried recording finds it where the first one left it. If its
  // window closed meanwhile it moves on to the next one, unless the closing digest took it.
  for (;;) {
    const window = await store.alerts.unclaimedWindowOf(event.orgId, event.key);
    if (window === undefined) return; // in a digest already
    if (!(await store.alerts.isClosed(event.orgId, window))) {
      await startDigestWorkflow(deps, event.orgId, window, windowMs);
      return;
    }
    await store.alerts.moveUnclaimed(event.orgId, event.key, window, window + windowMs);
  }
}

/** Starts the window's digest workflow, or finds it running (a start per alert adds no history). */
async function startDigestWorkflow(deps: AlertRecorderDeps, orgId: number, window: number, windowMs: number) {
  // Started by this process already: it runs until it closed the window, and the window is open.
  const workflowId = alertDigestWorkflowId(deps.taskQueue, orgId, window);
  const started = cacheOf(deps.store).started;
  if (started.has(workflowId)) return;
  try {
    await deps.client.workflow.start<typeof alertDigest>('alertDigest', {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [{ orgId, window, windowMs }],
      staticSummary: `Alert digest of organization ${orgId}, window from ${new Date(window).toISOString()}`,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  started.add(workflowId);
  // Bounded: windows are minutes long, so old ids are of no use.
  if (started.size > 10_000) started.delete(started.values().next().value as string);
}
