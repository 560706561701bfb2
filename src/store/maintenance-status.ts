import type { Collection, Db } from 'mongodb';

/**
 * The maintenance status document (`maintenance_status`): what the last maintenance run did, and
 * the last run that repaired something, so a clean run does not hide the last repair. One writer
 * at a time (the schedule skips overlapping runs), so a plain replace is enough on FerretDB too.
 */
export interface MaintenanceStatusDocument<R extends object = Record<string, unknown>> {
  _id: string;
  updatedAt: Date;
  runs: number;
  lastRun: R;
  /** The last run that purged or repaired anything (absent until one does). */
  lastRepair?: R;
}

export const MAINTENANCE_STATUS_ID = 'maintenance';

export class MaintenanceStatusStore<R extends object = Record<string, unknown>> {
  readonly collection: Collection<MaintenanceStatusDocument<R>>;

  constructor(db: Db) {
    this.collection = db.collection<MaintenanceStatusDocument<R>>('maintenance_status');
  }

  get(): Promise<MaintenanceStatusDocument<R> | null> {
    return this.collection.findOne({ _id: MAINTENANCE_STATUS_ID }) as Promise<MaintenanceStatusDocument<R> | null>;
  }

  async record(run: R, repaired: boolean): Promise<MaintenanceStatusDocument<R>> {
    const previous = await this.get();
    const doc: MaintenanceStatusDocument<R> = {
      _id: MAINTENANCE_STATUS_ID,
      updatedAt: new Date(),
      runs: (previous?.runs ?? 0) + 1,
      lastRun: run,
      ...(repaired ? { lastRepair: run } : previous?.lastRepair ? { lastRepair: previous.lastRepair } : {}),
    };
    await this.collection.replaceOne({ _id: MAINTENANCE_STATUS_ID }, doc, { upsert: true });
    return doc;
  }
}
