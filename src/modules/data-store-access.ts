/**
 * What the data-store modules see of the organization's data stores during one operation: the
 * stores as the run sees them (committed records with the run's own staged writes over them) and
 * a way to stage this operation's writes in the run's transaction. The module activity builds it
 * (activities/data-store-access.ts); modules never touch the store layer themselves.
 */
import type { DataStoreWrite, DataStructureSpec } from '../domain';

export interface DataStoreRecordView {
  key: string;
  data: Record<string, unknown>;
}

export interface DataStoreHandle {
  id: number;
  name: string;
  maxSizeBytes: number;
  /** The store's data structure; undefined when it is key-and-value only. */
  structure?: DataStructureSpec;
  /** The record as this run sees it; undefined when there is none. */
  get(key: string): Promise<Record<string, unknown> | undefined>;
  /** Every record as this run sees it, in key order. */
  all(): Promise<DataStoreRecordView[]>;
  /** The store's committed size in bytes, and the committed size of one key's record (0 when none). */
  usage(key?: string): Promise<{ sizeBytes: number; recordBytes: number }>;
}

export interface DataStoreAccess {
  /** A data store of the run's organization; undefined when there is none. */
  open(id: number): Promise<DataStoreHandle | undefined>;
  /** Stages this operation's writes (a retried operation replaces what its earlier try staged). */
  stage(writes: DataStoreWrite[]): Promise<void>;
}
