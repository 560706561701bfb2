/**
 * The plan of a retry as the API answers and checks it (`GET /dlqs/{id}/plan`,
 * `POST /dlqs/{id}/retry`): the IE's stored data, the blueprint chosen (the one it keeps, or its
 * scenario's current one), and the pure planning of src/domain/retry-plan.ts. A start or a
 * blueprint the retry cannot use is a 400 naming `from` or `blueprint`.
 */
import { planRetry, type Blueprint, type BlueprintChoice, type BundleContext, type RetryPlan } from '../domain';
import { moduleEffects } from '../modules';
import { isBlobRef, type IncompleteExecutionDocument, type Store } from '../store';
import { notFound, validationError } from './errors';

export interface PlannedRetry {
  plan: RetryPlan;
  /** The blueprint the plan is of (for `current`, the one the retry sends to the IE). */
  blueprint: Blueprint;
}

/** The blueprint the IE keeps (as it failed, patched if it was). */
export function storedBlueprint(doc: IncompleteExecutionDocument): Blueprint {
  if (!doc.blueprint) throw notFound(`blueprint of incomplete execution ${doc._id}`);
  return JSON.parse(doc.blueprint) as Blueprint;
}

/** The scenario's blueprint now; `in` names where the choice came from, for the 400. */
export async function currentBlueprint(
  store: Store,
  doc: IncompleteExecutionDocument,
  where: 'body' | 'query',
): Promise<Blueprint> {
  const scenario = await store.scenarios.get(doc.orgId, doc.scenarioId);
  if (!scenario) {
    throw validationError([
      { path: 'blueprint', in: where, message: `scenario ${doc.scenarioId} no longer exists: only "stored" can run` },
    ]);
  }
  return scenario.blueprint;
}

export async function planRetryOf(
  store: Store,
  doc: IncompleteExecutionDocument,
  request: { from?: number | undefined; blueprint?: BlueprintChoice | undefined },
  where: 'body' | 'query',
): Promise<PlannedRetry> {
  const choice = request.blueprint ?? 'stored';
  const blueprint = choice === 'current' ? await currentBlueprint(store, doc, where) : storedBlueprint(doc);
  const verdict = planRetry({
    blueprint,
    choice,
    failer: doc.failer,
    context: await inlineContext(store, doc),
    ...(request.from === undefined ? {} : { from: request.from }),
    effectsOf: moduleEffects,
  });
  if (!verdict.ok) throw validationError([{ path: verdict.field, in: where, message: verdict.reason }]);
  return { plan: verdict.plan, blueprint };
}

/** The stored bundles, large ones read back from their blobs (filters and mappings see the content). */
async function inlineContext(store: Store, doc: IncompleteExecutionDocument): Promise<BundleContext> {
  const context = doc.context ? (JSON.parse(doc.context) as BundleContext) : {};
  const entries = await Promise.all(
    Object.entries(context).map(
      async ([id, bundle]) =>
        [id, isBlobRef(bundle) ? ((await store.blobs.get(bundle)) as BundleContext[string]) : bundle] as const,
    ),
  );
  return Object.fromEntries(entries);
}
