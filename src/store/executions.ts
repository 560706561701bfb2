import type { Collection, Db } from 'mongodb';
import type { DiscardedBundle, ExecutionStatus, ModuleLogEntry } from '../domain';
import { FieldCipher } from './field-cipher';

export type { ModuleLogEntry };

export interface ExecutionRecord {
  executionId: string;
  orgId: number;
  scenarioId: number;
  status: ExecutionStatus;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  /** Module operations run (Make counts operations per module run). */
  operations: number;
  trigger: 'manual' | 'webhook' | 'schedule' | 'attempt';
  /** Set when this run is an attempt of an incomplete execution. */
  ieId?: string;
  error?: { type: string; message: string; moduleId?: number };
  /** Notes for the log: parked bundles, data loss, … */
  notes?: string[];
  /** Failed bundles dropped under "enable data loss" (storage full): not stored as IEs. */
  discarded?: DiscardedBundle[];
  log: ModuleLogEntry[];
}

interface ExecutionDocument extends Omit<ExecutionRecord, 'executionId' | 'log'> {
  _id: string;
  /** Opaque JSON text: module outputs are user data (sealed at rest with a keyring). */
  log: string;
}

export class ExecutionStore {
  readonly collection: Collection<ExecutionDocument>;

  constructor(
    db: Db,
    private readonly cipher = new FieldCipher(),
  ) {
    this.collection = db.collection<ExecutionDocument>('executions');
  }

  /** Idempotent by execution id: a replayed activity writes the same record again. */
  async record(execution: ExecutionRecord): Promise<void> {
    const { executionId, log, ...rest } = execution;
    const doc: ExecutionDocument = { _id: executionId, ...rest, log: await this.cipher.sealJson(log, rest.orgId) };
    await this.collection.replaceOne({ _id: executionId }, doc, { upsert: true });
  }

  async get(orgId: number, executionId: string): Promise<ExecutionRecord | null> {
    const doc = await this.collection.findOne({ _id: executionId });
    return doc && doc.orgId === orgId ? this.fromDocument(doc) : null;
  }

  async listByScenario(
    orgId: number,
    scenarioId: number,
    page: { offset: number; limit: number } = { offset: 0, limit: 100 },
  ): Promise<ExecutionRecord[]> {
    const docs = await this.collection
      .find({ orgId, scenarioId })
      .sort({ startedAt: -1 })
      .skip(page.offset)
      .limit(page.limit)
      .toArray();
    return Promise.all(docs.map((doc) => this.fromDocument(doc)));
  }

  async listByIncompleteExecution(ieId: string): Promise<ExecutionRecord[]> {
    const docs = await this.collection.find({ ieId }).sort({ startedAt: 1 }).toArray();
    return Promise.all(docs.map((doc) => this.fromDocument(doc)));
  }

  private async fromDocument(doc: ExecutionDocument): Promise<ExecutionRecord> {
    const { _id, log, ...rest } = doc;
    return { executionId: _id, ...rest, log: await this.cipher.openJson<ModuleLogEntry[]>(log) };
  }
}
