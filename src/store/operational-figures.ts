/**
 * The figures an operator scrapes, read from the store in a few aggregates (one pass over each
 * collection concerned, `$match` + `$group` with `$sum`: what FerretDB supports too). Callers cache
 * them for seconds (observability/store-gauges.ts): nothing here runs per request.
 *
 * Quota "used" is the bytes of the organization's open IEs: the truth the quota ledger is
 * reconciled to (ie-quota.ts), one aggregate for every organization instead of one ledger head
 * per organization.
 */
import type { Store } from './store';
import { DEFAULT_IE_QUOTA_BYTES } from './organizations';
import { MaintenanceStatusStore } from './maintenance-status';

export interface IeGroupFigure {
  orgId: number;
  scenarioId: number;
  status: string;
  errorType: string;
  count: number;
}

export interface QuotaFigure {
  orgId: number;
  usedBytes: number;
  limitBytes: number;
}

export interface MaintenanceFigure {
  /** When the last run finished (its status document's time). */
  lastRunAt: Date;
  runs: number;
  errors: number;
  orphanWorkflows: number;
  stuck: number;
}

export interface OperationalFigures {
  incompleteExecutions: IeGroupFigure[];
  quota: QuotaFigure[];
  webhookQueueDepth: { scenarioId: number; queued: number }[];
  bulkOperationsInFlight: { kind: string; count: number }[];
  maintenance: MaintenanceFigure | null;
}

/** Reads every figure; throws when the store cannot be read (the caller reports it as down). */
export async function readOperationalFigures(store: Store): Promise<OperationalFigures> {
  const ies = store.incompleteExecutions.collection;
  const [groups, openBytes, queue, bulk, maintenance] = await Promise.all([
    ies
      .aggregate<{ _id: { orgId: number; scenarioId: number; status: string; errorType?: string }; count: number }>([
        { $match: { deleted: false } },
        {
          $group: {
            _id: { orgId: '$orgId', scenarioId: '$scenarioId', status: '$status', errorType: '$error.type' },
            count: { $sum: 1 },
          },
        },
      ])
      .toArray(),
    // A pass of its own: FerretDB v1 gets a second accumulator of one `$group` wrong.
    ies
      .aggregate<{ _id: number; bytes: number }>([
        { $match: { deleted: false, resolved: false } },
        { $group: { _id: '$orgId', bytes: { $sum: '$size' } } },
      ])
      .toArray(),
    store.webhooks.entries
      .aggregate<{ _id: number; queued: number }>([
        { $match: { consumed: false } },
        { $group: { _id: '$scenarioId', queued: { $sum: 1 } } },
      ])
      .toArray(),
    store.bulkOperations.operations
      .aggregate<{ _id: string; count: number }>([
        { $match: { status: { $in: ['preparing', 'running'] } } },
        { $group: { _id: '$kind', count: { $sum: 1 } } },
      ])
      .toArray(),
    new MaintenanceStatusStore(store.db).get(),
  ]);

  const used = new Map(openBytes.map((o) => [o._id, o.bytes]));
  const orgIds = [...used.keys()];
  const orgs = orgIds.length
    ? await store.organizations.collection
        .find({ _id: { $in: orgIds } }, { projection: { _id: 1, ieQuotaBytes: 1 } })
        .toArray()
    : [];
  const limits = new Map(orgs.map((o) => [o._id, o.ieQuotaBytes ?? DEFAULT_IE_QUOTA_BYTES]));

  const lastRun = maintenance?.lastRun as
    { errors?: unknown[]; workflows?: { counts?: { orphanWorkflows?: number; stuck?: number } } | null } | undefined;
  return {
    incompleteExecutions: groups.map((g) => ({
      orgId: g._id.orgId,
      scenarioId: g._id.scenarioId,
      status: g._id.status,
      errorType: g._id.errorType ?? '',
      count: g.count,
    })),
    quota: orgIds.map((orgId) => ({
      orgId,
      usedBytes: used.get(orgId) ?? 0,
      limitBytes: limits.get(orgId) ?? DEFAULT_IE_QUOTA_BYTES,
    })),
    webhookQueueDepth: queue.map((q) => ({ scenarioId: q._id, queued: q.queued })),
    bulkOperationsInFlight: bulk.map((b) => ({ kind: b._id, count: b.count })),
    maintenance: maintenance
      ? {
          lastRunAt: maintenance.updatedAt,
          runs: maintenance.runs,
          errors: lastRun?.errors?.length ?? 0,
          orphanWorkflows: lastRun?.workflows?.counts?.orphanWorkflows ?? 0,
          stuck: lastRun?.workflows?.counts?.stuck ?? 0,
        }
      : null,
  };
}

/** Answers once the store has answered a ping; throws when it cannot be reached. */
export async function pingStore(store: Store): Promise<void> {
  await store.db.command({ ping: 1 });
}
