/**
 * The alerts the IE activities record (docs/alerts.md), keyed so that a retried activity records
 * each once: a park per IE, an IE becoming `unresolved` per attempt count, the quota per window.
 */
import { quotaAlertOf } from '../src/domain/alerts';
import type { IncompleteExecutionDocument } from '../src/store';
import type { AlertToRecord } from '../src/temporal/alert-recorder';

type Alert = AlertToRecord;

/** A stored IE: `unresolved` when it waits for a person from the start (no auto-retry), else `park`. */
export function parkAlert(doc: IncompleteExecutionDocument): Alert {
  if (doc.status === 'unresolved') return unresolvedAlert(doc);
  return {
    key: `park:${doc._id}`,
    orgId: doc.orgId,
    kind: 'park',
    scenarioId: doc.scenarioId,
    ieId: doc._id,
    errorType: doc.error.type,
    message: `${doc.error.type} at module ${doc.failer}: ${doc.error.message}`,
  };
}

/** An IE that waits for a person: not auto-retried, or its schedule exhausted. */
export function unresolvedAlert(
  doc: Pick<IncompleteExecutionDocument, '_id' | 'orgId' | 'scenarioId' | 'attempts' | 'error' | 'failer'>,
): Alert {
  return {
    key: `unresolved:${doc._id}:${doc.attempts ?? 0}`,
    orgId: doc.orgId,
    kind: 'unresolved',
    scenarioId: doc.scenarioId,
    ieId: doc._id,
    errorType: doc.error.type,
    message:
      (doc.attempts ?? 0) > 0
        ? `unresolved after ${doc.attempts} attempt(s): ${doc.error.type} at module ${doc.failer}: ${doc.error.message}`
        : `waits for a person: ${doc.error.type} at module ${doc.failer}: ${doc.error.message}`,
  };
}

/** The organization's quota at ≥ 80 % or full, once per alert window (the key carries the window). */
export function quotaAlert(orgId: number, used: number, limit: number, refused: boolean): Alert | undefined {
  const kind = refused ? 'quota_full' : quotaAlertOf(used, limit);
  if (!kind) return undefined;
  const percent = limit > 0 ? Math.round((used / limit) * 100) : 100;
  return {
    key: `${kind}:${orgId}`,
    oncePerWindow: true,
    orgId,
    kind,
    message: refused
      ? `the incomplete-executions storage is full (${used} of ${limit} bytes): a bundle could not be stored`
      : `the incomplete-executions storage is ${percent} % full (${used} of ${limit} bytes)`,
  };
}

/** A scenario deactivated because the quota refused its bundle (once per window: each refused park deactivates again). */
export function quotaDeactivationAlert(orgId: number, scenarioId: number, full: string): Alert {
  return {
    key: `deactivated:${scenarioId}:quota-full`,
    oncePerWindow: true,
    orgId,
    kind: 'deactivated',
    scenarioId,
    message: `deactivated: ${full}`,
  };
}
