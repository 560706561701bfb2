/**
 * The before/after of a change to an incomplete execution, as its change log keeps it: per module
 * id for bundles, the failer, and a summary of the blueprint (hash, bytes, and which module ids
 * were added, removed or changed). A value whose JSON is larger than
 * {@link AUDIT_INLINE_VALUE_MAX_BYTES}, or that is kept by reference, is recorded as a summary
 * (`{ summary: true, sha256, bytes }`): the log never holds large content, nor a blob reference
 * (the blob collector does not look in it).
 */
import crypto from 'node:crypto';
import type { Blueprint, BundleContext, IeChangeDiff, IeValueSummary } from '../src/domain';
import { isBlobRef } from '../src/store';

export const AUDIT_INLINE_VALUE_MAX_BYTES = 4 * 1024;

export function summaryOf(value: unknown): IeValueSummary {
  if (isBlobRef(value)) return { summary: true, sha256: value.$imexBlob, bytes: value.bytes };
  const text = JSON.stringify(value) ?? 'null';
  return { summary: true, sha256: sha256(text), bytes: Buffer.byteLength(text) };
}

/** The value itself when small and free of references, else its summary. */
export function auditValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  if (isBlobRef(value) || Buffer.byteLength(text) > AUDIT_INLINE_VALUE_MAX_BYTES || holdsBlobRef(value)) {
    return summaryOf(value);
  }
  return value;
}

/** Whether two stored bundles are the same (a reference compares by its content hash). */
function sameBundle(a: unknown, b: unknown): boolean {
  if (isBlobRef(a) || isBlobRef(b)) return summaryOf(a).sha256 === summaryOf(b).sha256;
  return JSON.stringify(a) === JSON.stringify(b);
}

export function bundlesDiff(before: BundleContext, after: BundleContext): IeChangeDiff['bundles'] | undefined {
  const diff: NonNullable<IeChangeDiff['bundles']> = {};
  for (const moduleId of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = before[moduleId];
    const now = after[moduleId];
    if (sameBundle(was ?? null, now ?? null)) continue;
    diff[moduleId] = { before: auditValue(was), after: auditValue(now) };
  }
  return Object.keys(diff).length ? diff : undefined;
}

export function blueprintDiff(
  before: Blueprint | null,
  after: Blueprint | null,
): IeChangeDiff['blueprint'] | undefined {
  const was = before ? summaryOf(before) : null;
  const now = after ? summaryOf(after) : null;
  if (was?.sha256 === now?.sha256) return undefined;
  const modules = (blueprint: Blueprint | null) => {
    const byId = new Map<number, string>();
    const walk = (flow: readonly unknown[]) => {
      for (const module of flow as { id: number; routes?: { flow?: unknown[] }[]; onerror?: unknown[] }[]) {
        byId.set(module.id, JSON.stringify(module));
        for (const route of module.routes ?? []) walk(route.flow ?? []);
        walk(module.onerror ?? []);
      }
    };
    walk(blueprint?.flow ?? []);
    return byId;
  };
  const a = modules(before);
  const b = modules(after);
  // A router's text holds its routes: a change inside a route also shows the router as changed.
  return {
    before: was,
    after: now,
    modules: {
      added: [...b.keys()].filter((id) => !a.has(id)).sort((x, y) => x - y),
      removed: [...a.keys()].filter((id) => !b.has(id)).sort((x, y) => x - y),
      changed: [...b.keys()].filter((id) => a.has(id) && a.get(id) !== b.get(id)).sort((x, y) => x - y),
    },
  };
}

function holdsBlobRef(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (isBlobRef(value)) return true;
  return Object.values(value).some(holdsBlobRef);
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** What a deletion removes: every bundle and the blueprint (as summaries), and the status it leaves. */
export function deletionDiff(doc: {
  blueprint?: string;
  context?: string;
  status: string;
  deleted: boolean;
}): IeChangeDiff {
  const context = doc.context ? (JSON.parse(doc.context) as BundleContext) : {};
  const blueprint = doc.blueprint ? (JSON.parse(doc.blueprint) as Blueprint) : null;
  const removed = bundlesDiff(context, {});
  const blueprintRemoved = blueprintDiff(blueprint, null);
  return {
    ...(removed ? { bundles: removed } : {}),
    ...(blueprintRemoved ? { blueprint: blueprintRemoved } : {}),
    status: { before: doc.deleted ? 'deleted' : doc.status, after: 'deleted' },
  };
}
