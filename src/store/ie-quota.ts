/**
 * The organization's incomplete-execution quota: how many bytes of unresolved, undeleted IEs an
 * organization holds, and the one place that says yes or no to storing another.
 *
 * Why not a counter with a conditional `$inc`: on MongoDB `updateOne({used: {$lte: L - b}},
 * {$inc})` is atomic, but FerretDB runs every update as read → change in Go → overwrite by `_id`
 * in a separate SQLite transaction, so two concurrent guarded increments can both pass the guard
 * or lose one another (reference/ferretdb-mongo.md §3.3). The only step that is race-free on both
 * servers is an insert that a unique key can refuse. Everything below rests on that alone.
 *
 * **The ledger** (`ie_quota_ledger`): per organization an append-only chain of entries
 * `_id: "<orgId>:<seq, 12 digits>"`, each carrying `usedAfter`, the organization's total after it.
 * A writer reads the head (the entry whose successor does not exist), decides, and inserts
 * `seq + 1`. Two writers that read the same head race for the same `_id`; one insert wins, the
 * other gets a duplicate-key error, reads again and retries (with jitter, until a deadline). So
 * every accepted entry was decided on the true head, and `usedAfter <= limit` holds for each one.
 * The head is found by point `_id` lookups forward from a cached hint, galloping then bisecting
 * (on FerretDB's SQLite backend only an exact `_id` filter uses an index); without a fresh hint,
 * one `_id`-range query sorted descending finds it (indexed on MongoDB, a scan on FerretDB).
 *
 * **Holds** (`ie_quota_holds`): what each key (an IE id) holds, as immutable documents
 * `"<orgId>:<key>:<gen>:reserve"` and `"…:<gen>:release"` (gen 1, 2, … if a key is reserved again
 * after a release). They are a projection of the ledger with one rule that keeps them exact:
 * before appending `seq + 1` a writer projects entry `seq` (a unique insert; a duplicate means
 * someone already did). So when the head is `seq`, every entry below it is projected, and a
 * writer that projects the head itself reads a key's holds exactly as of that head. If its insert
 * of `seq + 1` then succeeds, nothing was appended in between, so the decision (charge this key
 * or not, release how many bytes) was made on exact state: two concurrent reserves of one key
 * cannot both charge, and a release frees exactly what its key holds, once. A `resize` entry (an
 * IE whose stored bytes changed) projects two holds: the release of the key's generation and the
 * reservation of the next, with the new size.
 *
 * **Group commit.** A store instance (one per process) has at most one append in flight per
 * organization. Calls of that process that arrive while it is in flight queue, and the next append
 * decides all of them together, in arrival order, on one head: it reads every key concerned
 * (exact, as above), applies the calls one after another to a running total and to its own view
 * of those keys, and writes one `batch` entry listing the charges that result (a single charge is
 * written as a plain entry, as before). The entry is accepted only if its insert of `seq + 1`
 * wins, so every decision in it was made on the true head, exactly as for a single call: a
 * reservation is refused if the running total would pass its limit (so the total never exceeds
 * the limit after any call), a key reserved twice in one batch is charged once, a release frees
 * what the key holds at that point of the batch. If the insert loses, the whole batch is decided
 * again on the new head. The head is still the one point of contention, but only between
 * processes: eight parks of one worker cost one append, not eight racing ones. Projection of a
 * batch writes its holds with the last one after all the others, so the last hold's existence
 * still means the entry is fully projected. A writer remembers (for `headTrustMs`) the entry it
 * read or wrote last, and that it projected it: entries are immutable and never deleted within
 * the grace, so its next append first builds on that entry as the head without looking further:
 * if another entry followed it, the insert of `seq + 1` is refused like any lost race, and the
 * writer reads the head properly (a decision counts only when its insert wins, as always; calls
 * answered without a write, such as a refusal or a replay, count on a remembered head only if it
 * still has no successor). Versions before group commit do not project `batch` entries: do not
 * run them next to this one on the same database (upgrade all processes of a deployment together).
 * (Leasing blocks of allowance to processes, or sharding the head into K chains with a share of
 * the limit each, would spread the contention between processes too, but a lease held by a dead
 * process strands allowance, shares need rebalancing, and near the limit both refuse what would
 * fit; group commit leaves the argument above as it was.)
 *
 * **Compaction.** The head's `usedAfter` carries the total and the holds carry each key's share,
 * so old entries are history only. `compact()` (run by `reconcile()`, and by every writer whose
 * entry's seq is a multiple of `compactEvery`) deletes entries that are both older than
 * `compactGraceMs` and more than `compactKeep` below the head. The grace is the fence: a deleted
 * `_id` could be inserted again, so no writer trusts a head (or a cached hint) it read more than
 * `headTrustMs` ago, and the grace must be far longer than that (default 10 min vs 30 s; entry
 * times come from the writers' clocks, so clock skew must stay well under the grace). Holds of a
 * released key stay until `forget()` (for the purge of resolved/deleted IEs).
 *
 * **Reconcile.** The IE documents are the source of truth; `reconcile()` takes their sizes as an
 * argument, releases holds without an IE, charges IEs without a hold (even above the limit: the
 * data is stored already), re-charges keys whose size differs, and appends an `adjust` entry if
 * the head's total ever differs from the sum of the holds.
 *
 * Byte counts are written as Int64 (`Long`), never `$inc`ed, so nothing wraps.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Long, type Collection, type Db } from 'mongodb';
import { isDuplicateKeyError, onlyDuplicates } from './duplicate-key';

export type QuotaEntryKind = 'reserve' | 'release' | 'adjust' | 'resize' | 'batch';

/** One charge inside a `batch` entry, with the fields a single entry of that kind carries. */
export interface QuotaBatchOp {
  kind: 'reserve' | 'release' | 'resize';
  key: string;
  gen: number;
  bytes: StoredInt;
  from?: StoredInt;
}

/** Stored counts are Int64; the driver reads them back as numbers (they stay below 2^53). */
type StoredInt = Long | number;

export interface QuotaLedgerEntry {
  /** `"<orgId>:<seq zero-padded to 12>"`: the unique key every write races for. */
  _id: string;
  orgId: number;
  seq: number;
  kind: QuotaEntryKind;
  /** The IE id the bytes belong to; null for `adjust` and `batch`. */
  key: string | null;
  /** The key's reservation generation (1 for its first reservation); 0 for `adjust` and `batch`. */
  gen: number;
  /**
   * Bytes reserved or released; for `adjust`, the signed correction; for `resize`, the new size;
   * for `batch`, the signed change of the total.
   */
  bytes: StoredInt;
  /** `batch` only: its charges in the order they were decided. */
  ops?: QuotaBatchOp[];
  /** `resize` only: the bytes the key held before (released with its previous generation). */
  from?: StoredInt;
  usedAfter: StoredInt;
  /** The organization's limit as last given (a reserve's own; others carry the previous one). */
  limit: StoredInt | null;
  at: Date;
}

export interface QuotaHold {
  /** `"<orgId>:<key>:<gen zero-padded to 6>:<kind>"`. */
  _id: string;
  orgId: number;
  key: string;
  gen: number;
  kind: 'reserve' | 'release';
  bytes: StoredInt;
  /** The ledger entry this hold projects. */
  seq: number;
  at: Date;
}

export type ReserveResult =
  | { ok: true; used: number; limit: number; bytes: number; replayed: boolean }
  | { ok: false; used: number; limit: number };

export interface ReleaseResult {
  released: boolean;
  bytes: number;
  used: number;
}

export interface ResizeResult {
  resized: boolean;
  used: number;
}

export interface QuotaUsage {
  used: number;
  /** The limit last given to `reserve`, if any. */
  limit: number | null;
  /** Entries ever appended for the organization (the head's seq). */
  seq: number;
}

export interface ReconcileReport {
  orgId: number;
  usedBefore: number;
  usedAfter: number;
  /** `usedBefore` minus the truth: positive when the ledger charged too much. */
  drift: number;
  released: { key: string; bytes: number }[];
  charged: { key: string; bytes: number }[];
  resized: { key: string; from: number; to: number }[];
  /** Holds without an IE that were left alone because they are younger than `minHoldAgeMs`. */
  skippedYoung: string[];
  /** Correction appended because the head's total differed from the sum of the holds. */
  adjusted: number;
  compacted: number;
}

export interface IeQuotaOptions {
  /** Give up appending under contention after this long. */
  writeTimeoutMs?: number;
  /** A head (or cached hint) older than this is read again before it is built on. */
  headTrustMs?: number;
  /** Entries younger than this are never compacted. Keep it far above `headTrustMs`. */
  compactGraceMs?: number;
  /** The newest entries compaction always keeps. */
  compactKeep?: number;
  /** A writer whose entry's seq is a multiple of this compacts afterwards; 0 turns it off. */
  compactEvery?: number;
  /** The most calls of one process decided in one append. */
  maxBatch?: number;
}

const SEQ_DIGITS = 12;
const GEN_DIGITS = 6;

const entryId = (orgId: number, seq: number) => `${orgId}:${String(seq).padStart(SEQ_DIGITS, '0')}`;
const holdId = (orgId: number, key: string, gen: number, kind: QuotaHold['kind']) =>
  `${orgId}:${key}:${String(gen).padStart(GEN_DIGITS, '0')}:${kind}`;
/** All of an organization's entry ids sort inside this range (';' follows ':'). */
const orgRange = (orgId: number) => ({ $gt: `${orgId}:`, $lt: `${orgId};` });

const num = (value: StoredInt): number => (typeof value === 'number' ? value : value.toNumber());
const int64 = (value: number): Long => Long.fromNumber(value);

interface Head {
  entry: QuotaLedgerEntry | null;
  seq: number;
  used: number;
  /** When it was known to be the head. */
  readAt: number;
  /** Taken from what this process knew, without looking for a successor (see readHead). */
  guessed: boolean;
}

interface KeyState {
  /** The generation the key holds now, with its bytes; null when it holds nothing. */
  held: { gen: number; bytes: number; at: Date } | null;
  /** The generation a new reservation would take. */
  nextGen: number;
}

/** What a writer decided on a head: append this entry, or answer without writing. */
type Decision<T> =
  { append: Omit<QuotaLedgerEntry, '_id' | 'seq' | 'at' | 'orgId'>; result: T } | { answer: T } | { readAgain: true };

/** A call waiting for its process's next append (group commit). */
type KeyedCall =
  | { kind: 'reserve'; key: string; bytes: number; limit: number | null }
  | { kind: 'release'; key: string }
  | { kind: 'resize'; key: string; bytes: number };
type KeyedResult = ReserveResult | ReleaseResult | ResizeResult;
interface Waiting {
  call: KeyedCall;
  resolve: (result: KeyedResult) => void;
  reject: (err: unknown) => void;
}

export class IeQuotaStore {
  readonly ledger: Collection<QuotaLedgerEntry>;
  readonly holds: Collection<QuotaHold>;
  private readonly options: Required<IeQuotaOptions>;
  /** Per organization, the entry this process read or wrote last, and whether it projected it. */
  private readonly hints = new Map<number, { entry: QuotaLedgerEntry; at: number; projected: boolean }>();
  /** Per organization, the calls waiting while this process's append is in flight. */
  private readonly queues = new Map<number, Waiting[]>();

  constructor(db: Db, options: IeQuotaOptions = {}) {
    this.ledger = db.collection<QuotaLedgerEntry>('ie_quota_ledger');
    this.holds = db.collection<QuotaHold>('ie_quota_holds');
    this.options = {
      writeTimeoutMs: 60_000,
      headTrustMs: 30_000,
      compactGraceMs: 10 * 60_000,
      compactKeep: 64,
      compactEvery: 256,
      maxBatch: 64,
      ...options,
    };
  }

  /**
   * Charges `bytes` to `key` if the organization stays within `limitBytes`. Idempotent per key:
   * while the key holds a reservation, reserving again answers ok (`replayed`) and charges nothing.
   */
  reserve(orgId: number, key: string, bytes: number, limitBytes: number): Promise<ReserveResult> {
    checkArgs(orgId, key, bytes);
    if (!Number.isSafeInteger(limitBytes) || limitBytes < 0) throw new RangeError(`bad limit ${limitBytes}`);
    return this.submit<ReserveResult>(orgId, { kind: 'reserve', key, bytes, limit: limitBytes });
  }

  /** Frees exactly what `key` holds. A second release, or one for an unknown key, changes nothing. */
  release(orgId: number, key: string): Promise<ReleaseResult> {
    checkArgs(orgId, key, 0);
    return this.submit<ReleaseResult>(orgId, { kind: 'release', key });
  }

  /**
   * Charges a key its new size when what its IE stores has changed (a failed attempt that moved
   * on, a patch): one `resize` entry that releases the key's generation and reserves the next
   * with `bytes`. The data is stored already, so the limit does not refuse it: the organization
   * may go over, and new reservations are refused until it is back under. A key that holds
   * nothing (released meanwhile) stays so; the same size again changes nothing.
   */
  resize(orgId: number, key: string, bytes: number): Promise<ResizeResult> {
    checkArgs(orgId, key, bytes);
    return this.submit<ResizeResult>(orgId, { kind: 'resize', key, bytes });
  }

  async usage(orgId: number): Promise<QuotaUsage> {
    const head = await this.readHead(orgId);
    const limit = head.entry?.limit;
    return { used: head.used, limit: limit == null ? null : num(limit), seq: head.seq };
  }

  /** What one key holds now, in bytes (0 when nothing). */
  async held(orgId: number, key: string): Promise<number> {
    const head = await this.readHead(orgId);
    await this.projectHead(orgId, head);
    return (await this.keyState(orgId, key)).held?.bytes ?? 0;
  }

  /** Every key's holding (scans the organization's holds; for reconcile and tests). */
  async holdings(orgId: number): Promise<Map<string, number>> {
    const head = await this.readHead(orgId);
    await this.projectHead(orgId, head);
    return new Map([...(await this.listHeld(orgId))].map(([key, h]) => [key, h.bytes]));
  }

  /**
   * Makes the ledger agree with the truth: `actual` maps every IE of the organization that counts
   * (not resolved, not deleted) to its size. Holds without an IE younger than `minHoldAgeMs` are
   * left alone: their IE may be being stored right now (reserve comes before the write).
   */
  async reconcile(
    orgId: number,
    actual: ReadonlyMap<string, number>,
    options: { minHoldAgeMs?: number } = {},
  ): Promise<ReconcileReport> {
    const minHoldAgeMs = options.minHoldAgeMs ?? 5 * 60_000;
    const head = await this.readHead(orgId);
    await this.projectHead(orgId, head);
    const usedBefore = head.used;
    const truth = [...actual.values()].reduce((sum, bytes) => sum + bytes, 0);
    const report: ReconcileReport = {
      orgId,
      usedBefore,
      usedAfter: usedBefore,
      drift: usedBefore - truth,
      released: [],
      charged: [],
      resized: [],
      skippedYoung: [],
      adjusted: 0,
      compacted: 0,
    };
    const held = await this.listHeld(orgId);
    for (const [key, hold] of held) {
      if (actual.has(key)) continue;
      if (Date.now() - hold.at.getTime() < minHoldAgeMs) {
        report.skippedYoung.push(key);
        continue;
      }
      const { released, bytes } = await this.release(orgId, key);
      if (released) report.released.push({ key, bytes });
    }
    for (const [key, bytes] of actual) {
      checkArgs(orgId, key, bytes);
      const hold = held.get(key);
      if (hold?.bytes === bytes) continue;
      if (hold) await this.release(orgId, key);
      const charged = await this.submit<ReserveResult>(orgId, { kind: 'reserve', key, bytes, limit: null });
      if (charged.ok && !charged.replayed) {
        if (hold) report.resized.push({ key, from: hold.bytes, to: bytes });
        else report.charged.push({ key, bytes });
      }
    }
    report.adjusted = await this.adjustTotal(orgId);
    report.compacted = await this.compact(orgId);
    report.usedAfter = (await this.readHead(orgId)).used;
    return report;
  }

  /** Deletes entries older than the grace and more than `compactKeep` below the head. */
  async compact(orgId: number): Promise<number> {
    const head = await this.readHead(orgId);
    const below = head.seq - this.options.compactKeep;
    if (below <= 1) return 0;
    const result = await this.ledger.deleteMany({
      _id: { $gt: `${orgId}:`, $lt: entryId(orgId, below) },
      at: { $lt: new Date(Date.now() - this.options.compactGraceMs) },
    });
    return result.deletedCount;
  }

  /**
   * Deletes the holds of a key that is released (for the purge of resolved or deleted IEs, long
   * after the release). Refuses while the key holds bytes or its release is younger than the grace.
   */
  async forget(orgId: number, key: string): Promise<boolean> {
    const { held, nextGen } = await this.keyState(orgId, key);
    if (held || nextGen === 1) return false;
    const last = await this.holds.findOne({ _id: holdId(orgId, key, nextGen - 1, 'release') });
    if (!last || Date.now() - last.at.getTime() < this.options.compactGraceMs) return false;
    const ids: string[] = [];
    for (let gen = 1; gen < nextGen; gen++)
      ids.push(holdId(orgId, key, gen, 'reserve'), holdId(orgId, key, gen, 'release'));
    await this.holds.deleteMany({ _id: { $in: ids } });
    return true;
  }

  /**
   * Group commit: the call joins its organization's queue; if no append of this process is in
   * flight for it, one starts now with the queue as it is (so a lone call waits for nothing), and
   * takes whatever arrived meanwhile when it is done.
   */
  private submit<R extends KeyedResult>(orgId: number, call: KeyedCall): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiting: Waiting = { call, resolve: resolve as (result: KeyedResult) => void, reject };
      const queue = this.queues.get(orgId);
      if (queue) {
        queue.push(waiting);
        return;
      }
      const fresh = [waiting];
      this.queues.set(orgId, fresh);
      void this.drain(orgId, fresh);
    });
  }

  private async drain(orgId: number, queue: Waiting[]): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, this.options.maxBatch);
      try {
        const results = await this.append(orgId, (head) =>
          this.decideBatch(
            orgId,
            head,
            batch.map((w) => w.call),
          ),
        );
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    // No await between the empty check and this: a call arriving now starts a new drain.
    this.queues.delete(orgId);
  }

  /**
   * Decides a batch of calls on one head, in order, as if each were appended alone: every key
   * concerned is read once (exact on a projected head), then each call sees the running total
   * and the keys as the calls before it left them.
   */
  private async decideBatch(orgId: number, head: Head, calls: KeyedCall[]): Promise<Decision<KeyedResult[]>> {
    const keys = [...new Set(calls.map((c) => c.key))];
    const states = new Map(await Promise.all(keys.map(async (k) => [k, await this.keyState(orgId, k)] as const)));
    let used = head.used;
    let limit: number | null = head.entry?.limit == null ? null : num(head.entry.limit);
    const ops: QuotaBatchOp[] = [];
    const results: KeyedResult[] = [];
    const now = new Date();
    for (const call of calls) {
      const state = states.get(call.key)!;
      const held = state.held;
      if (call.kind === 'reserve') {
        const shownLimit = call.limit ?? limit ?? 0;
        if (held) {
          // A replayed store: the key is charged already (Make: one IE, one share of the quota).
          results.push({ ok: true, used, limit: shownLimit, bytes: held.bytes, replayed: true });
        } else if (call.limit !== null && used + call.bytes > call.limit) {
          results.push({ ok: false, used, limit: call.limit });
        } else {
          ops.push({ kind: 'reserve', key: call.key, gen: state.nextGen, bytes: int64(call.bytes) });
          state.held = { gen: state.nextGen, bytes: call.bytes, at: now };
          state.nextGen += 1;
          used += call.bytes;
          if (call.limit !== null) limit = call.limit;
          results.push({ ok: true, used, limit: shownLimit, bytes: call.bytes, replayed: false });
        }
      } else if (call.kind === 'release') {
        if (!held) {
          results.push({ released: false, bytes: 0, used });
        } else {
          ops.push({ kind: 'release', key: call.key, gen: held.gen, bytes: int64(held.bytes) });
          state.held = null;
          used -= held.bytes;
          results.push({ released: true, bytes: held.bytes, used });
        }
      } else if (!held || held.bytes === call.bytes) {
        results.push({ resized: false, used });
      } else {
        ops.push({
          kind: 'resize',
          key: call.key,
          gen: state.nextGen,
          bytes: int64(call.bytes),
          from: int64(held.bytes),
        });
        state.held = { gen: state.nextGen, bytes: call.bytes, at: now };
        state.nextGen += 1;
        used += call.bytes - held.bytes;
        results.push({ resized: true, used });
      }
    }
    if (ops.length === 0) return { answer: results };
    const stored = limit === null ? null : int64(limit);
    const [only] = ops;
    if (ops.length === 1 && only)
      return { append: { ...only, usedAfter: int64(used), limit: stored }, result: results };
    return {
      append: {
        kind: 'batch',
        key: null,
        gen: 0,
        bytes: int64(used - head.used),
        ops,
        usedAfter: int64(used),
        limit: stored,
      },
      result: results,
    };
  }

  /** Appends the head's `adjust` correction when its total differs from the sum of the holds. */
  private adjustTotal(orgId: number): Promise<number> {
    return this.append<number>(orgId, async (head) => {
      const sum = [...(await this.listHeld(orgId)).values()].reduce((total, h) => total + h.bytes, 0);
      if (sum !== head.used) {
        // Appended only if nothing else was: then the holds listed are exactly this head's.
        const delta = sum - head.used;
        const limit = head.entry?.limit ?? null;
        return {
          append: { kind: 'adjust', key: null, gen: 0, bytes: int64(delta), usedAfter: int64(sum), limit },
          result: delta,
        };
      }
      // Agreement counts only if no entry arrived (and was projected) while we listed.
      return (await this.successorExists(orgId, head.seq)) ? { readAgain: true } : { answer: 0 };
    });
  }

  /**
   * The write loop: read the head, project it, decide, insert `seq + 1`; on a duplicate key (a
   * concurrent writer took that seq) read again. Every failed insert means another one succeeded,
   * so the organization as a whole always makes progress.
   */
  private async append<T>(orgId: number, decide: (head: Head) => Promise<Decision<T>>): Promise<T> {
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      const head = await this.readHead(orgId, { guess: attempt === 0 });
      await this.projectHead(orgId, head);
      const decision = await decide(head);
      if ('answer' in decision) {
        // An answer writes nothing, so no insert checks a guessed head: look for its successor.
        if (!head.guessed || !(await this.successorExists(orgId, head.seq))) return decision.answer;
        continue;
      }
      if ('append' in decision && performance.now() - head.readAt < this.options.headTrustMs) {
        const entry: QuotaLedgerEntry = {
          _id: entryId(orgId, head.seq + 1),
          orgId,
          seq: head.seq + 1,
          ...decision.append,
          at: new Date(),
        };
        try {
          await this.ledger.insertOne(entry);
          this.hints.set(orgId, { entry, at: performance.now(), projected: false });
          // Just written: nobody is likely to have projected it yet, so no look first.
          await this.project(entry, { known: false });
          this.markProjected(orgId, entry);
          const every = this.options.compactEvery;
          if (every > 0 && entry.seq % every === 0) await this.compact(orgId);
          return decision.result;
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
        }
      }
      if (performance.now() - started > this.options.writeTimeoutMs) {
        throw new Error(
          `IE quota of organization ${orgId}: no ledger append after ${attempt + 1} tries in ${this.options.writeTimeoutMs} ms`,
        );
      }
      // Jitter spreads the writers that lost this round; the bound grows slowly with each loss.
      await sleep(Math.random() * Math.min(2 + attempt, 20));
    }
  }

  /**
   * The entry whose successor does not exist (as of the last lookup), or an empty head. It starts
   * from the entry this process read or wrote last, if that is younger than `headTrustMs`.
   */
  private async readHead(orgId: number, { guess = false }: { guess?: boolean } = {}): Promise<Head> {
    const hint = this.hints.get(orgId);
    let entry: QuotaLedgerEntry | null = null;
    if (hint && performance.now() - hint.at < this.options.headTrustMs) {
      // A writer's first try builds on the head it knew without looking for a successor: its
      // insert of `seq + 1` fails if there is one, and then it reads the head for real.
      if (guess) {
        const { entry: known, at } = hint;
        return { entry: known, seq: known.seq, used: num(known.usedAfter), readAt: at, guessed: true };
      }
      entry = hint.entry;
    }
    entry ??=
      (
        await this.ledger
          .find({ _id: orgRange(orgId) })
          .sort({ _id: -1 })
          .limit(1)
          .toArray()
      )[0] ?? null;
    if (entry) entry = await this.forwardToHead(entry);
    const readAt = performance.now();
    if (entry) {
      const projected = hint?.entry._id === entry._id && hint.projected;
      this.hints.set(orgId, { entry, at: readAt, projected });
    }
    return { entry, seq: entry?.seq ?? 0, used: entry ? num(entry.usedAfter) : 0, readAt, guessed: false };
  }

  private async successorExists(orgId: number, seq: number): Promise<boolean> {
    return (await this.ledger.findOne({ _id: entryId(orgId, seq + 1) }, { projection: { _id: 1 } })) !== null;
  }

  /** From an existing entry to the head by point lookups: gallop (+1, +2, +4, …), then bisect. */
  private async forwardToHead(from: QuotaLedgerEntry): Promise<QuotaLedgerEntry> {
    const get = (seq: number) => this.ledger.findOne({ _id: entryId(from.orgId, seq) });
    let known = from;
    let step = 1;
    let missing: number;
    for (;;) {
      const next = await get(known.seq + step);
      if (!next) {
        missing = known.seq + step;
        break;
      }
      known = next;
      step *= 2;
    }
    while (missing - known.seq > 1) {
      const mid = Math.floor((known.seq + missing) / 2);
      const probe = await get(mid);
      if (probe) known = probe;
      else missing = mid;
    }
    return known;
  }

  /** Projects the head unless this process already did (within `headTrustMs`). */
  private async projectHead(orgId: number, head: Head): Promise<void> {
    if (!head.entry) return;
    const hint = this.hints.get(orgId);
    if (hint?.entry._id === head.entry._id && hint.projected) return;
    await this.project(head.entry, { known: true });
    this.markProjected(orgId, head.entry);
  }

  private markProjected(orgId: number, entry: QuotaLedgerEntry): void {
    const hint = this.hints.get(orgId);
    if (hint?.entry._id === entry._id) hint.projected = true;
  }

  /**
   * Writes the holds an entry implies, unless someone already has (idempotent). They are written
   * with the last one after all the others (a `resize` implies two: the release of the previous
   * generation, then the new reservation), so the last one's existence means all are there.
   * `known: true` looks for it first (an entry someone else may have projected).
   */
  private async project(entry: QuotaLedgerEntry | null, { known }: { known: boolean }): Promise<void> {
    const holds = entry ? holdsOf(entry) : [];
    const last = holds.pop();
    if (!last) return;
    if (known && (await this.holds.findOne({ _id: last._id }, { projection: { _id: 1 } }))) return;
    if (holds.length > 0) {
      // One unordered insert for all but the last; a duplicate is a hold someone wrote already.
      await this.holds.insertMany(holds, { ordered: false }).catch((err: unknown) => {
        if (!onlyDuplicates(err)) throw err;
      });
    }
    try {
      await this.holds.insertOne(last);
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }

  /** A key's holds by point lookups: reservation g, its release, reservation g + 1, … */
  private async keyState(orgId: number, key: string): Promise<KeyState> {
    for (let gen = 1; ; gen++) {
      const reserved = await this.holds.findOne({ _id: holdId(orgId, key, gen, 'reserve') });
      if (!reserved) return { held: null, nextGen: gen };
      const released = await this.holds.findOne(
        { _id: holdId(orgId, key, gen, 'release') },
        { projection: { _id: 1 } },
      );
      if (!released) return { held: { gen, bytes: num(reserved.bytes), at: reserved.at }, nextGen: gen + 1 };
    }
  }

  /** Every key that holds bytes now, from one scan of the organization's holds. */
  private async listHeld(orgId: number): Promise<Map<string, { gen: number; bytes: number; at: Date }>> {
    const docs = await this.holds.find({ orgId }).toArray();
    const latest = new Map<string, { gen: number; bytes: number; at: Date; released: boolean }>();
    for (const doc of docs.sort((a, b) => a.gen - b.gen || (a.kind === 'reserve' ? -1 : 1))) {
      if (doc.kind === 'reserve')
        latest.set(doc.key, { gen: doc.gen, bytes: num(doc.bytes), at: doc.at, released: false });
      else if (latest.get(doc.key)?.gen === doc.gen) latest.get(doc.key)!.released = true;
    }
    const held = new Map<string, { gen: number; bytes: number; at: Date }>();
    for (const [key, h] of latest) if (!h.released) held.set(key, { gen: h.gen, bytes: h.bytes, at: h.at });
    return held;
  }
}

/** The holds an entry implies, in order: one per charge, two for a `resize`, none for `adjust`. */
function holdsOf(entry: QuotaLedgerEntry): QuotaHold[] {
  const charges: QuotaBatchOp[] =
    entry.kind === 'batch'
      ? (entry.ops ?? [])
      : entry.kind === 'adjust' || entry.key === null
        ? []
        : [
            {
              kind: entry.kind,
              key: entry.key,
              gen: entry.gen,
              bytes: entry.bytes,
              ...(entry.from === undefined ? {} : { from: entry.from }),
            },
          ];
  const hold = (op: QuotaBatchOp, gen: number, kind: QuotaHold['kind'], bytes: number): QuotaHold => ({
    _id: holdId(entry.orgId, op.key, gen, kind),
    orgId: entry.orgId,
    key: op.key,
    gen,
    kind,
    bytes: int64(bytes),
    seq: entry.seq,
    at: entry.at,
  });
  return charges.flatMap((op) =>
    op.kind === 'resize'
      ? [hold(op, op.gen - 1, 'release', num(op.from ?? 0)), hold(op, op.gen, 'reserve', num(op.bytes))]
      : [hold(op, op.gen, op.kind, num(op.bytes))],
  );
}

function checkArgs(orgId: number, key: string, bytes: number): void {
  if (!Number.isSafeInteger(orgId) || orgId <= 0) throw new RangeError(`bad organization id ${orgId}`);
  if (typeof key !== 'string' || key.length === 0) throw new RangeError('an IE quota key must be a non-empty string');
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bad byte count ${bytes}`);
}
