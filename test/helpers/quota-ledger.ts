/**
 * An organization's quota ledger checked link by link, for the quota tests: consecutive seqs,
 * each entry's `usedAfter` equal to the running total, and (when a limit is given) no reservation
 * that left the total above it, also inside a batch entry. Returns the recomputed total.
 */
import type { Db } from 'mongodb';
import type { QuotaBatchOp, QuotaLedgerEntry } from '../../src/store';

export interface LedgerWalk {
  used: number;
  entries: number;
  /** Charges written, batched ones counted one by one. */
  charges: number;
  /** Reservations per key (a key charged once has 1). */
  reservesByKey: Map<string, number>;
}

export async function walkLedger(db: Db, orgId: number, limit?: number): Promise<LedgerWalk> {
  const entries = await db.collection<QuotaLedgerEntry>('ie_quota_ledger').find({ orgId }).sort({ seq: 1 }).toArray();
  const walk: LedgerWalk = { used: 0, entries: entries.length, charges: 0, reservesByKey: new Map() };
  const charge = (op: QuotaBatchOp) => {
    walk.charges += 1;
    const bytes = Number(op.bytes);
    if (op.kind === 'resize') walk.used += bytes - Number(op.from);
    else if (op.kind === 'reserve') {
      walk.used += bytes;
      walk.reservesByKey.set(op.key, (walk.reservesByKey.get(op.key) ?? 0) + 1);
      if (limit !== undefined) expect(walk.used).toBeLessThanOrEqual(limit);
    } else walk.used -= bytes;
  };
  entries.forEach((entry, i) => {
    expect(entry.seq).toBe(i + 1);
    expect(entry._id).toBe(`${orgId}:${String(entry.seq).padStart(12, '0')}`);
    const before = walk.used;
    if (entry.kind === 'batch') {
      for (const op of entry.ops ?? []) charge(op);
      expect(walk.used - before).toBe(Number(entry.bytes));
    } else if (entry.kind === 'adjust') walk.used += Number(entry.bytes);
    else charge({ ...entry, key: entry.key!, kind: entry.kind } as QuotaBatchOp);
    expect(Number(entry.usedAfter)).toBe(walk.used);
  });
  return walk;
}

/** The recomputed total (see walkLedger). */
export async function recomputeFromLedger(db: Db, orgId: number, limit?: number): Promise<number> {
  return (await walkLedger(db, orgId, limit)).used;
}
