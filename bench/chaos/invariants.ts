/**
 * What must hold after a chaos run, each checked against the real store, Temporal's visibility
 * and the downstream's log. A failing check names the IE (or bundle) it is about.
 */
import type { Client } from '@temporalio/client';
import { ieWorkflowId, ImexStatus } from '../../src/domain';
import { isBlobRef, type IncompleteExecutionDocument, type Store } from '../../src/store';
import { ieIdFor } from '../../activities/incomplete-executions';
import type { ParkedBundle } from '../../src/domain';
import type { Downstream } from './downstream';
import type { ChaosPlan, PlannedRun } from './plan';
import { FAILER, GATE_FAILER } from './scenarios';

export interface ExpectedIe {
  /** The bundle it was parked with. */
  identity: string;
  ieId: string;
  /** Refused for good by the service: parked for a person, never applied. */
  permanent: boolean;
  /** Deleted by the suite once its run had ended: a tombstone that must stay one. */
  deleted: boolean;
  /**
   * A gate-fan-out's IE parked at the gate: the refused items behind it, in order. Its attempt
   * moves it to the first (empty: it resolves); each other becomes an IE of the attempt's.
   */
  movesTo?: string[];
  /** An IE parked by an attempt of this IE (a refused bundle of a fan-out after its failer). */
  derivedFrom?: string;
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

/** The planned bundle a run (or an attempt, counting as its run does) fails with at `failer` #`bundleIndex`. */
export function identityOf(run: PlannedRun, failer: number, bundleIndex: number): string | undefined {
  if (run.gate !== undefined && failer === GATE_FAILER) return bundleIndex === 0 ? run.gate : undefined;
  return failer === FAILER[run.kind] ? run.items[bundleIndex] : undefined;
}

/**
 * The IEs that must exist: one per bundle a run parked (its id derived as imex derives it). A
 * bundle the service refused for good must have been parked (or be behind a gate that was); any
 * other bundle was either parked or applied (checkSideEffects).
 */
export function expectedIes(
  runs: { run: PlannedRun; executionId: string; parked: ParkedBundle[] }[],
  plan: ChaosPlan,
): { expected: ExpectedIe[]; offenders: string[] } {
  const expected: ExpectedIe[] = [];
  const offenders: string[] = [];
  const permanent = new Set(plan.permanent);
  for (const { run, executionId, parked } of runs) {
    const parkedIdentities = new Set<string>();
    for (const p of parked) {
      const identity = identityOf(run, p.failer, p.bundleIndex);
      if (!identity) {
        offenders.push(`run ${executionId} parked a bundle outside the plan: module ${p.failer} #${p.bundleIndex}`);
        continue;
      }
      const ieId = ieIdFor(executionId, p.failer, p.bundleIndex);
      if (p.ieId !== ieId) offenders.push(`bundle ${identity}: parked as IE ${p.ieId ?? '(none)'}, not ${ieId}`);
      parkedIdentities.add(identity);
      expected.push({
        identity,
        ieId,
        permanent: permanent.has(identity),
        deleted: plan.deleted.includes(identity),
        ...(identity === run.gate ? { movesTo: run.items.filter((i) => permanent.has(i)) } : {}),
      });
    }
    const behindGate = run.gate !== undefined && parkedIdentities.has(run.gate);
    for (const identity of run.items)
      if (permanent.has(identity) && !parkedIdentities.has(identity) && !behindGate)
        offenders.push(`bundle ${identity}: refused for good but not parked by run ${executionId}`);
  }
  return { expected, offenders };
}

/** The planned bundle an open IE holds, read from its stored bundles (blobs resolved). */
export async function heldIdentity(
  plan: ChaosPlan,
  doc: IncompleteExecutionDocument,
  store: Store,
): Promise<string | undefined> {
  if (!doc.context) return undefined;
  const context = JSON.parse(doc.context) as Record<string, unknown>;
  const bundle = async (moduleId: number) => {
    const value = context[String(moduleId)];
    return (isBlobRef(value) ? await store.blobs.get(value) : value) as Record<string, unknown> | undefined;
  };
  const trigger = await bundle(1);
  const run = plan.runs.find((r) => r.key === trigger?.run);
  if (!run) return undefined;
  if (run.gate !== undefined && doc.failer === GATE_FAILER) return run.gate;
  if (doc.failer !== FAILER[run.kind]) return undefined;
  // The fan-out's bundle carries the item (`n`); a single run's bundle is item 0.
  const fanOut = run.kind === 'gate-fan-out' ? 3 : run.kind === 'iterator' || run.kind === 'parse-json' ? 2 : 0;
  const item = fanOut ? (await bundle(fanOut))?.n : '0';
  return item === undefined ? undefined : `${run.key}:${String(item)}`;
}

/**
 * The IEs parked by attempts over a fan-out: for each gate IE that moved, the open IEs whose
 * execution is one of its attempts. Each must carry the id derived from that attempt
 * (`ieIdFor(attempt, failer, bundleIndex)`, docs/incomplete-executions.md).
 */
export async function attemptIes(
  plan: ChaosPlan,
  store: Store,
  expected: ExpectedIe[],
  docs: Map<string, IncompleteExecutionDocument>,
): Promise<{ derived: ExpectedIe[]; offenders: string[] }> {
  const derived: ExpectedIe[] = [];
  const offenders: string[] = [];
  const permanent = new Set(plan.permanent);
  for (const gate of expected.filter((e) => (e.movesTo?.length ?? 0) > 0)) {
    const attempts = new Set((await store.executions.listByIncompleteExecution(gate.ieId)).map((a) => a.executionId));
    for (const doc of docs.values()) {
      if (doc._id === gate.ieId || !attempts.has(doc.executionId)) continue;
      const identity = (await heldIdentity(plan, doc, store)) ?? `(unknown bundle, failer ${doc.failer})`;
      if (doc._id !== ieIdFor(doc.executionId, doc.failer, doc.bundleIndex))
        offenders.push(
          `IE ${doc._id} (bundle ${identity}, attempt ${doc.executionId}): not the id derived from its attempt`,
        );
      derived.push({
        identity,
        ieId: doc._id,
        permanent: permanent.has(identity),
        deleted: false,
        derivedFrom: gate.ieId,
      });
    }
  }
  return { derived, offenders };
}

/**
 * Every refused bundle is held by exactly one open IE (read from the IE's stored bundles, so an
 * attempt's moved IE and the IEs it parked count by what they hold), a deleted one by none; no
 * open IE holds anything else; and each IE holds the bundle it should.
 */
export async function checkHolders(
  plan: ChaosPlan,
  store: Store,
  expected: ExpectedIe[],
  docs: Map<string, IncompleteExecutionDocument>,
): Promise<InvariantResult> {
  const offenders: string[] = [];
  const holders = new Map<string, string[]>();
  const held = new Map<string, string>();
  for (const doc of docs.values()) {
    if (doc.deleted || doc.resolved) continue;
    const identity = await heldIdentity(plan, doc, store);
    if (!identity) {
      offenders.push(`IE ${doc._id}: holds no bundle of the plan (failer ${doc.failer})`);
      continue;
    }
    held.set(doc._id, identity);
    holders.set(identity, [...(holders.get(identity) ?? []), doc._id]);
  }
  const permanent = new Set(plan.permanent);
  const deleted = new Set(plan.deleted);
  for (const identity of permanent) {
    const h = holders.get(identity) ?? [];
    if (deleted.has(identity)) {
      if (h.length > 0)
        offenders.push(`bundle ${identity}: its IE was deleted, yet open IE(s) ${h.join(', ')} hold it`);
    } else if (h.length !== 1) {
      offenders.push(`bundle ${identity}: held by ${h.length} open IEs${h.length ? ` (${h.join(', ')})` : ''}`);
    }
  }
  for (const [identity, h] of holders)
    if (!permanent.has(identity))
      offenders.push(`bundle ${identity}: not refused, yet open IE(s) ${h.join(', ')} hold it`);
  for (const e of expected) {
    const want = e.movesTo ? e.movesTo[0] : e.identity;
    if (e.deleted || want === undefined || !held.has(e.ieId)) continue;
    if (held.get(e.ieId) !== want) offenders.push(`IE ${e.ieId}: holds ${held.get(e.ieId)}, not ${want}`);
  }
  const derived = expected.filter((e) => e.derivedFrom).length;
  return result(
    'every refused bundle held by exactly one open IE (its stored bundles; attempts over fan-outs included)',
    offenders,
    `${holders.size} bundles held, ${derived} IEs parked by attempts over a fan-out`,
  );
}

/** What became of a webhook payload the suite sent. */
export interface WebhookSend {
  run: PlannedRun;
  /** The run the accepted payload becomes (from the hook's answer). */
  executionId?: string;
  /** Whether its run ended (a result could be read). */
  ended: boolean;
  /** Accepted while the Temporal server was down (no wake-up signal reached the coordinator). */
  acceptedWhileDown: boolean;
  /** Sends that failed before one was accepted (a sender's retries). */
  failedSends: number;
}

/**
 * Every accepted webhook payload ran exactly once: its run ended, one execution record per
 * accepted payload and none for a payload never accepted, and the queues are empty.
 */
export async function checkWebhookRuns(
  store: Store,
  sends: WebhookSend[],
  scenarioIds: number[],
): Promise<InvariantResult> {
  const offenders: string[] = [];
  const accepted = new Set<string>();
  for (const send of sends) {
    if (!send.executionId) offenders.push(`webhook ${send.run.key}: never accepted`);
    else {
      accepted.add(send.executionId);
      if (!send.ended)
        offenders.push(
          `webhook ${send.run.key} (execution ${send.executionId}${send.acceptedWhileDown ? ', accepted while Temporal was down' : ''}): accepted, never ran`,
        );
    }
  }
  // Runs, not attempts (an attempt's record names its IE).
  const records = await store.executions.collection
    .find({ scenarioId: { $in: scenarioIds } }, { projection: { _id: 1, ieId: 1 } })
    .toArray();
  const ran = new Set(records.filter((r) => !r.ieId).map((r) => r._id));
  for (const id of accepted) if (!ran.has(id)) offenders.push(`execution ${id}: accepted, no execution record`);
  for (const id of ran)
    if (!accepted.has(id)) offenders.push(`execution ${id}: a run of a payload the suite was not told was accepted`);
  for (const scenarioId of scenarioIds) {
    const waiting = await store.webhooks.queued(scenarioId);
    if (waiting > 0) offenders.push(`scenario ${scenarioId}: ${waiting} payloads still queued`);
  }
  const whileDown = sends.filter((s) => s.acceptedWhileDown).length;
  const retried = sends.reduce((n, s) => n + s.failedSends, 0);
  return result(
    'every accepted webhook payload ran exactly once',
    offenders,
    `${accepted.size} payloads, ${whileDown} accepted while Temporal was down, ${retried} sends refused and sent again`,
  );
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
  if (e.movesTo && e.movesTo.length > 0)
    return doc.status === 'unresolved' && !doc.retry && !doc.deleted && doc.failer === FAILER['gate-fan-out'];
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
  const planned = new Set(plan.runs.flatMap((r) => (r.gate ? [r.gate, ...r.items] : r.items)));
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

/**
 * A person's retry from the trigger (the retry-from path) went through the faults: each was
 * accepted, its attempt reached the service again (which still refuses the bundle), and the IE
 * counts that attempt. That the IE is back waiting for a person, holding its bundle once, is
 * checked with every other IE (checkSettled, checkHolders).
 */
export function checkRetriedFrom(
  plan: ChaosPlan,
  expected: ExpectedIe[],
  docs: Map<string, IncompleteExecutionDocument>,
  verdicts: Map<string, string>,
  downstream: Downstream,
): InvariantResult {
  const offenders: string[] = [];
  const retried = new Set(plan.retriedFrom);
  const ies = expected.filter((e) => retried.has(e.identity));
  for (const e of ies) {
    const verdict = verdicts.get(e.ieId) ?? '(never sent)';
    const doc = docs.get(e.ieId);
    const requests = downstream.requests.filter((r) => r.identity === e.identity).length;
    if (verdict !== 'accepted')
      offenders.push(`IE ${e.ieId} (bundle ${e.identity}): retry from the trigger ${verdict}`);
    else if (!doc || doc.attempts < 1)
      offenders.push(`IE ${e.ieId} (bundle ${e.identity}): accepted, but the IE counts no attempt`);
    else if (requests < 2)
      offenders.push(
        `IE ${e.ieId} (bundle ${e.identity}): the attempt never reached the service (${requests} request)`,
      );
  }
  for (const identity of retried)
    if (!ies.some((e) => e.identity === identity))
      offenders.push(`bundle ${identity}: planned for a retry, never parked`);
  return result(
    'each retry from the trigger was accepted and attempted through the faults',
    offenders,
    `${ies.length} IEs retried from the trigger`,
  );
}
