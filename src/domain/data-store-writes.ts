/**
 * A run's data-store writes, as Make's ACID modules make them (make-incomplete-executions.md §1.7):
 * each module operation **stages** its writes under the run's transaction (the run's execution id)
 * and the run **commits** them: after each module with `autoCommit` (Make's default), the trigger's
 * last with `autoCommitTriggerLast`, at the end of the run otherwise. A run that stops with an error
 * (or a Rollback directive) discards what it did not commit. Reads within the run see its own staged
 * writes.
 *
 * Staged writes are final values (`put` with the record's whole data, `delete`, `clear` for
 * DeleteAllRecords): a module computes them from the view it read, so committing needs no module
 * logic, only the net effect (`netEffect`) of the steps it commits. Applying that net effect is
 * idempotent (store/data-store-transactions.ts), so a commit cut off half-way is finished by running
 * it again.
 *
 * Pure: no I/O. `isTransactionalModule` is what the `scenarioRun` workflow uses.
 */

import type { BlueprintModule } from './blueprint';

export const DATASTORE_APP = 'datastore:';

/** Make: a data-store record may be up to 15 MB. */
export const MAX_RECORD_BYTES = 15 * 1024 * 1024;

/** Whether a module type's writes go through the run's transaction (Make's data-store modules). */
export function isTransactionalModule(type: string): boolean {
  return type.startsWith(DATASTORE_APP);
}

/** Whether the flow (its routes and error-handler routes too) holds a data-store module. */
export function usesDataStores(flow: readonly BlueprintModule[]): boolean {
  return flow.some(
    (module) =>
      isTransactionalModule(module.module) ||
      usesDataStores(module.onerror ?? []) ||
      (module.routes ?? []).some((route) => usesDataStores(route.flow)),
  );
}

/** One staged write of a data store. */
export type DataStoreWrite =
  | { store: number; kind: 'put'; key: string; data: Record<string, unknown> }
  | { store: number; kind: 'delete'; key: string }
  | { store: number; kind: 'clear' };

/** One module operation's writes, in the order it made them; `seq` orders steps within the run. */
export interface StagedStep {
  seq: number;
  writes: DataStoreWrite[];
}

/** What a commit does to one data store: optionally clear it (sparing `keep`), then set each key. */
export interface StoreEffect {
  clear: boolean;
  /** Keys a clear must not touch: written by a later step that committed before this one. */
  keep: string[];
  /** Each key's final data, or null for deleted. */
  writes: Record<string, Record<string, unknown> | null>;
}

/** A commit's net effect, per data store id. */
export type CommitEffect = Record<string, StoreEffect>;

/**
 * The net effect of committing `steps` (applied in `seq` order). `laterCommitted` are steps of
 * the same run with a higher `seq` that committed earlier (the trigger commits last): what they
 * wrote comes after these steps in the run, so it wins over them.
 */
export function netEffect(steps: readonly StagedStep[], laterCommitted: readonly StagedStep[] = []): CommitEffect {
  const effect = new Map<number, { clear: boolean; writes: Map<string, Record<string, unknown> | null> }>();
  for (const step of [...steps].sort((a, b) => a.seq - b.seq)) {
    for (const write of step.writes) {
      let entry = effect.get(write.store);
      if (!entry) effect.set(write.store, (entry = { clear: false, writes: new Map() }));
      if (write.kind === 'clear') {
        entry.clear = true;
        entry.writes.clear();
      } else {
        entry.writes.set(write.key, write.kind === 'put' ? write.data : null);
      }
    }
  }
  const minSeq = Math.min(...steps.map((s) => s.seq));
  const later = laterCommitted.filter((s) => s.seq > minSeq).sort((a, b) => a.seq - b.seq);
  const keep = new Map<number, Set<string>>();
  for (const step of later) {
    for (const write of step.writes) {
      const entry = effect.get(write.store);
      if (!entry) continue;
      if (write.kind === 'clear') {
        effect.delete(write.store); // a later clear of the store makes everything before it moot
        continue;
      }
      entry.writes.delete(write.key);
      if (!keep.has(write.store)) keep.set(write.store, new Set());
      keep.get(write.store)?.add(write.key);
    }
  }
  const result: CommitEffect = {};
  for (const [store, entry] of effect) {
    result[String(store)] = {
      clear: entry.clear,
      keep: [...(keep.get(store) ?? [])],
      writes: Object.fromEntries(entry.writes),
    };
  }
  return result;
}

/**
 * A data store as a run sees it: the committed records overlaid with the run's staged steps (in
 * `seq` order). `committed` holds the records read from the store: all of them for a search, the
 * asked keys for a lookup (a staged clear then empties the view, as it should).
 */
export function overlayRecords(
  store: number,
  committed: ReadonlyMap<string, Record<string, unknown>>,
  steps: readonly StagedStep[],
): Map<string, Record<string, unknown>> {
  const view = new Map(committed);
  for (const step of [...steps].sort((a, b) => a.seq - b.seq)) {
    for (const write of step.writes) {
      if (write.store !== store) continue;
      if (write.kind === 'clear') view.clear();
      else if (write.kind === 'put') view.set(write.key, write.data);
      else view.delete(write.key);
    }
  }
  return view;
}

/** Bytes a record takes in its store: its key and its data as JSON text (UTF-8). */
export function recordBytes(key: string, data: Record<string, unknown>): number {
  return utf8Length(key) + utf8Length(JSON.stringify(data));
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
