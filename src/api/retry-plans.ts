/**
 * The plan of a retry as the API answers and checks it (`GET /dlqs/{id}/plan`,
 * `POST /dlqs/{id}/retry`): the IE's stored data, the blueprint chosen (the one it keeps, or its
 * scenario's current one), and the pure planning of src/domain/retry-plan.ts. A start or a
 * blueprint the retry cannot use is a 400 naming `from` or `blueprint`.
 */
import { planRetry, type Blueprint, type BlueprintChoice, type RetryPlan } from '../domain';
import { moduleEffects } from '../modules';
import type { IncompleteExecutionDocument, Store } from '../store';
import { inlineContext } from './inline-context';
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
