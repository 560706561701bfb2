/**
 * What must hold after a chaos run, each checked against the real store, Temporal's visibility
 * and the downstream's log. A failing check names the IE (or bundle) it is about.
 */
import type { Client } from '@temporalio/client';
import { ieWorkflowId, ImexStatus } from '../../src/domain';
import type { IncompleteExecutionDocument, Store } from '../../src/store';
import { ieIdFor } from '../../activities/incomplete-executions';
import type { ParkedBundle } from '../../src/domain';
import type { Downstream } from './downstream';
import type { ChaosPlan, PlannedRun } from './plan';
import { FAILER } from './scenarios';

export interface ExpectedIe {
  identity: string;
  ieId: string;
  /** Refused for good by the service: parked for a person, never applied. */
  permanent: boolean;
  /** Deleted by the suite once its run had ended: a tombstone that must stay one. */
  deleted: boolean;
}

export interface InvariantResult {
  name: string;
  status: 'PASS' | 'FAIL' | 'WARN';
  detail: string;
  /** The IEs or bundles it fails for (first few). */
  offenders?: string[];
}

const MAX_OFFENDERS = 10;

function result(name: string, offenders: string[], passDetail: string, warnOnly = false): InvariantResult {
  if (offenders.length === 0) return { name, status: 'PASS', detail: passDetail };
  return {
    name,
    status: warnOnly ? 'WARN' : 'FAIL',
    detail: `${offenders.length} offending`,
    offenders: offenders.slice(0, MAX_OFFENDERS),
  };
}

/**
 * The IEs that must exist: one per bundle a run parked (its id derived as imex derives it). A
 * bundle the service refused for good must have been parked; any other bundle was either parked
 * or applied (checkSideEffects).
 */
export function expectedIes(
  runs: { run: PlannedRun; executionId: string; parked: ParkedBundle[] }[],
  plan: ChaosPlan,
): { expected: ExpectedIe[]; offenders: string[] } {
  const expected: ExpectedIe[] = [];
  const offenders: string[] = [];
  for (const { run, executionId, parked } of runs) {
    run.items.forEach((identity, n) => {
      const ieId = ieIdFor(executionId, FAILER[run.kind], n);
      const park = parked.find((p) => p.failer === FAILER[run.kind] && p.bundleIndex === n);
      const permanent = plan.permanent.includes(identity);
      if (!park) {
        if (permanent) offenders.push(`bundle ${identity}: refused for good but not parked by run ${executionId}`);
        return;
      }
      if (park.ieId !== ieId) offenders.push(`bundle ${identity}: parked as IE ${park.ieId ?? '(none)'}, not ${ieId}`);
      expected.push({ identity, ieId, permanent, deleted: plan.deleted.includes(identity) });
    });
    for (const p of parked)
      if (p.failer !== FAILER[run.kind] || p.bundleIndex >= run.items.length)
        offenders.push(`run ${executionId} parked a bundle of the plan's: module ${p.failer} #${p.bundleIndex}`);
  }
  return { expected, offenders };
}

/** Every failed bundle has exactly one IE, in MongoDB and in Temporal (one `ie-<id>` workflow, matching search attributes). */
export async function checkOneIePerFailedBundle(
  client: Client,
  orgId: number,
  expected: ExpectedIe[],
  docs: Map<string, IncompleteExecutionDocument>,
  parkOffenders: string[],
): Promise<InvariantResult[]> {
  const wanted = new Map(expected.map((e) => [e.ieId, e]));
  const storeOffenders: string[] = [...parkOffenders];
  for (const e of expected) {
    const doc = docs.get(e.ieId);
    if (!doc) storeOffenders.push(`bundle ${e.identity}: no IE ${e.ieId}`);
    else if (doc.deleted !== e.deleted)
      storeOffenders.push(`bundle ${e.identity}: IE ${e.ieId} is ${doc.deleted ? 'deleted' : 'not deleted (it was)'}`);
  }
  for (const id of docs.keys()) if (!wanted.has(id)) storeOffenders.push(`IE ${id}: no failed bundle of the plan`);

  // Temporal: one execution per IE that did not continue as new (a second start would be a second IE).
  const runs = new Map<string, { open: number; closed: number; status?: string }>();
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'incompleteExecution' AND ImexOrgId = '${orgId}'`,
  })) {
    const r = runs.get(wf.workflowId) ?? { open: 0, closed: 0 };
    if (wf.status.name !== 'CONTINUED_AS_NEW') {
      if (wf.status.name === 'RUNNING') r.open++;
      else r.closed++;
      r.status = wf.typedSearchAttributes.get(ImexStatus);
    }
    runs.set(wf.workflowId, r);
  }
  const temporalOffenders: string[] = [];
  for (const e of expected) {
    const r = runs.get(ieWorkflowId(e.ieId));
    const doc = docs.get(e.ieId);
    if (!r) temporalOffenders.push(`IE ${e.ieId} (bundle ${e.identity}): no workflow`);
    else if (r.open + r.closed !== 1)
      temporalOffenders.push(`IE ${e.ieId}: ${r.open + r.closed} executions (${r.open} open)`);
    else if (doc && !doc.deleted && r.status !== doc.status)
      temporalOffenders.push(`IE ${e.ieId}: ImexStatus ${r.status ?? '(none)'} but the document says ${doc.status}`);
  }
  for (const id of runs.keys())
    if (!wanted.has(id.replace(/^ie-/, ''))) temporalOffenders.push(`workflow ${id}: no failed bundle of the plan`);

  return [
    result('one IE per failed bundle (MongoDB)', storeOffenders, `${expected.length} bundles, ${docs.size} IEs`),
    result(
      'one ie-<id> workflow per IE, search attributes match (Temporal)',
      temporalOffenders,
      `${runs.size} workflows`,
    ),
  ];
}

/** Recovered bundles resolved; refused ones wait for a person (unresolved, no auto-retry) or are deleted. */
export function isSettled(e: ExpectedIe, doc: IncompleteExecutionDocument): boolean {
  if (e.deleted) return doc.deleted;
  return e.permanent ? doc.status === 'unresolved' && !doc.retry && !doc.deleted : doc.status === 'resolved';
}

export function checkSettled(expected: ExpectedIe[], docs: Map<string, IncompleteExecutionDocument>): InvariantResult {
  const offenders: string[] = [];
  for (const e of expected) {
    const doc = docs.get(e.ieId);
    if (!doc) continue; // named by the first check
    if (!isSettled(e, doc))
      offenders.push(`IE ${e.ieId} (bundle ${e.identity}): ${doc.status}${doc.retry ? ', auto-retry' : ''}`);
  }
  return result('every IE settled (resolved, waiting for a person, or deleted)', offenders, `${expected.length} IEs`);
}

export function checkNoneInProgress(docs: Map<string, IncompleteExecutionDocument>): InvariantResult {
  const offenders = [...docs.values()].filter((d) => d.status === 'in_progress').map((d) => `IE ${d._id}`);
  return result('none stuck in_progress after maintenance', offenders, `${docs.size} IEs`);
}

/** Sizes of the blobs an IE's stored bundles reference. */
function referencedBlobBytes(doc: IncompleteExecutionDocument): number {
  let bytes = 0;
  for (const m of (doc.context ?? '').matchAll(/"\$imexBlob":"[0-9a-f]+","bytes":(\d+)/g)) bytes += Number(m[1]);
  return bytes;
}

/** The quota ledger equals the sum of open IE sizes, and each size counts the blobs its bundles reference. */
export async function checkQuota(
  store: Store,
  orgId: number,
  docs: Map<string, IncompleteExecutionDocument>,
): Promise<InvariantResult[]> {
  const open = [...docs.values()].filter((d) => !d.resolved && !d.deleted);
  const sum = open.reduce((total, d) => total + d.size, 0);
  const usage = await store.quota.usage(orgId);
  const quota: InvariantResult =
    usage.used === sum
      ? {
          name: 'quota usage = sum of open IE sizes',
          status: 'PASS',
          detail: `${usage.used} bytes, ${open.length} open IEs`,
        }
      : {
          name: 'quota usage = sum of open IE sizes',
          status: 'FAIL',
          detail: `ledger ${usage.used} bytes, open IEs ${sum} bytes`,
          offenders: open.map((d) => `IE ${d._id}: ${d.size} bytes`).slice(0, MAX_OFFENDERS),
        };
  const sizeOffenders = open
    .filter((d) => d.size < referencedBlobBytes(d))
    .map((d) => `IE ${d._id}: size ${d.size} < ${referencedBlobBytes(d)} bytes of referenced blobs`);
  const withBlobs = open.filter((d) => referencedBlobBytes(d) > 0).length;
  return [quota, result('IE size counts its blobs', sizeOffenders, `${withBlobs} open IEs reference blobs`)];
}

/**
 * Blobs nothing references: no IE, execution or queued webhook names them (read here from the
 * whole documents, independently of the collector's own list), and unused since `unusedBefore`
 * (the last maintenance's start less its grace: younger ones it rightly kept).
 */
export async function checkOrphanBlobs(store: Store, unusedBefore: Date): Promise<InvariantResult> {
  const referenced = new Set<string>();
  const collect = (doc: unknown) => {
    for (const m of JSON.stringify(doc).matchAll(/\$imexBlob\\*":\\*"([0-9a-f]{64})/g)) referenced.add(m[1] as string);
  };
  for (const collection of [
    store.incompleteExecutions.collection,
    store.executions.collection,
    store.webhooks.entries,
  ]) {
    for await (const doc of collection.find({})) collect(doc);
  }
  const offenders: string[] = [];
  let kept = 0;
  for await (const blob of store.blobs.collection.find({ kind: 'manifest' })) {
    const manifest = blob as { _id: string; createdAt: Date; lastUsedAt?: Date };
    if (referenced.has(manifest._id)) kept++;
    else if ((manifest.lastUsedAt ?? manifest.createdAt) < unusedBefore) offenders.push(`blob ${manifest._id}`);
  }
  return result('no orphan blobs after maintenance', offenders, `${kept} blobs, all referenced`);
}

/** Each bundle not refused applied exactly once (one Idempotency-Key), parked or not; refused ones never; nothing else. */
export function checkSideEffects(plan: ChaosPlan, expected: ExpectedIe[], downstream: Downstream): InvariantResult {
  const ies = new Map(expected.map((e) => [e.identity, e.ieId]));
  const planned = new Set(plan.runs.flatMap((r) => r.items));
  const permanent = new Set(plan.permanent);
  const offenders: string[] = [];
  for (const identity of planned) {
    const keys = downstream.applied.get(identity)?.size ?? 0;
    const ie = ies.has(identity) ? ` (IE ${ies.get(identity)})` : ' (not parked)';
    if (permanent.has(identity) ? keys !== 0 : keys !== 1)
      offenders.push(`bundle ${identity}${ie}: applied under ${keys} keys`);
  }
  for (const identity of downstream.applied.keys())
    if (!planned.has(identity)) offenders.push(`bundle ${identity}: not in the plan`);
  return result(
    'no bundle lost, no duplicate side effects at the service (each effect applied once)',
    offenders,
    `${planned.size} bundles, ${downstream.requests.length} requests, ${downstream.redeliveries} redelivered under the same key`,
  );
}
