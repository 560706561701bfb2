/**
 * The data stores a module operation sees (src/modules/data-store-access.ts), built by the module
 * activity from the store: the run's organization's stores, their committed records overlaid with
 * the run's staged writes that the workflow lists as pending (the steps of operations that
 * succeeded and are not committed yet: a failed operation's stray step is never read), and the
 * staging of this operation's writes under `<txnId>:<seq>`.
 */
import { overlayRecords, type DataStoreWrite, type StagedStep } from '../src/domain';
import type { DataStoreAccess, DataStoreHandle } from '../src/modules';
import type { Store } from '../src/store';

/** Where an operation sits in its run's data-store transaction (the workflow says). */
export interface OperationTransaction {
  orgId: number;
  /** The run's execution id: an IE's attempt is a run of its own, with its own transaction. */
  txnId: string;
  /** The operation's number in the run: orders its steps, and names this one. */
  seq: number;
  /** Steps of the run staged and not committed yet, which this operation's reads see. */
  pending: number[];
}

export function createDataStoreAccess(
  store: Store,
  txn: OperationTransaction,
): DataStoreAccess & { readonly staged: boolean } {
  let steps: Promise<StagedStep[]> | undefined;
  const stagedSteps = () => (steps ??= store.dataStoreTransactions.stagedSteps(txn.txnId, txn.pending));
  let staged = false;
  return {
    get staged() {
      return staged;
    },
    async open(id: number): Promise<DataStoreHandle | undefined> {
      const dataStore = await store.dataStores.getDataStore(txn.orgId, id);
      if (!dataStore) return undefined;
      const structure = await store.dataStores.structureOf(dataStore);
      return {
        id,
        name: dataStore.name,
        maxSizeBytes: dataStore.maxSizeBytes,
        ...(structure ? { structure: { spec: structure.spec, strict: structure.strict } } : {}),
        async get(key) {
          const committed = await store.dataStores.readRecords(id, [key]);
          const view = overlayRecords(id, new Map([...committed].map(([k, r]) => [k, r.data])), await stagedSteps());
          return view.get(key);
        },
        async all() {
          const committed = await store.dataStores.readAll(id);
          const view = overlayRecords(id, new Map(committed.map((r) => [r.key, r.data])), await stagedSteps());
          return [...view.entries()]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([key, data]) => ({ key, data }));
        },
        async usage(key) {
          const { sizeBytes } = await store.dataStores.usage(id);
          const record = key === undefined ? undefined : (await store.dataStores.readRecords(id, [key])).get(key);
          return { sizeBytes, recordBytes: record?.bytes ?? 0 };
        },
      };
    },
    async stage(writes: DataStoreWrite[]) {
      if (writes.length === 0) return;
      await store.dataStoreTransactions.stage(txn.txnId, txn.seq, writes);
      staged = true;
    },
  };
}
