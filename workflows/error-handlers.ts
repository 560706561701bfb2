/**
 * Error-handler routes (`onerror` on a module), as Make runs them. The module already had its
 * in-run retries; then the route's modules run, depth-first like any flow, with the failure
 * mapped as the failed module's output: `{{<failedId>.error.type}}`, `{{<failedId>.error.message}}`.
 * The directive that ends the route decides (Make's quick reference: final run status):
 *
 * | directive | what happens | run |
 * |---|---|---|
 * | `builtin:Break` | an IE is stored, even for the first module; `retry`, `count`, `interval` (minutes) are its auto-retry schedule | warning |
 * | `builtin:Resume` | the directive's mapper is the failed module's output; the flow goes on | success |
 * | `builtin:Ignore` | the bundle is dropped | success |
 * | `builtin:Commit` | the run stops; its data-store writes are committed | success |
 * | `builtin:Rollback` | the run stops; its data-store writes not committed yet are discarded | error |
 *
 * A route without a directive (or whose bundles never reach it) ignores the error, as Make's does.
 * An error inside the route is not handled again: the run stops with it (an attempt keeps it, at
 * the failed module, for a person to look at, and goes on with its other bundles).
 */
import {
  breakSchedule,
  breakSettings,
  isDirective,
  type BlueprintModule,
  type BundleContext,
  type BundleOrRef,
  type RunError,
} from '../src/domain/plain';
import { RunStopped, type RunControl } from './run-control';

/** Runs the route; returns the bundles the flow goes on with (Resume's substitutes), else none. */
export async function runErrorHandlerRoute(
  run: RunControl,
  failed: BlueprintModule,
  context: BundleContext,
  bundleIndex: number,
  error: RunError,
): Promise<BundleOrRef[]> {
  const route = failed.onerror ?? [];
  const last = route[route.length - 1];
  const directive = last && isDirective(last.module) ? last : undefined;
  const steps = directive ? route.slice(0, -1) : route;
  const failedBundle = { failer: failed.id, bundleIndex, context, error };

  // Make shows the failed module's error where its output would be.
  const errorContext: BundleContext = {
    ...context,
    [String(failed.id)]: { error: { type: error.type, message: error.message } },
  };
  const reached: BundleContext[] = [];
  let routeFailed = false;

  async function runSteps(index: number, stepContext: BundleContext): Promise<void> {
    if (routeFailed) return;
    const step = steps[index];
    if (!step) {
      if (!directive || (await run.passesFilter(directive, stepContext))) reached.push(stepContext);
      return;
    }
    if (!(await run.passesFilter(step, stepContext))) return;
    const operation = await run.operate(step, stepContext);
    if (!operation.ok) {
      routeFailed = true;
      if (run.resuming) return run.reportFailure({ ...failedBundle, error: operation.error, outcome: 'park-manual' });
      throw new RunStopped(operation.error);
    }
    for (const bundle of operation.bundles) {
      await runSteps(index + 1, { ...stepContext, [String(step.id)]: bundle });
      if (routeFailed) return;
    }
  }

  await runSteps(0, errorContext);
  if (routeFailed) return [];
  const kind = directive && reached.length > 0 ? directive.module : 'builtin:Ignore';
  run.note(`module ${failed.id}: ${error.type} handled by ${kind}`);

  switch (kind) {
    case 'builtin:Resume': {
      const outputs: BundleOrRef[] = [];
      for (const reachedContext of reached)
        outputs.push(await run.mapFields(directive as BlueprintModule, reachedContext));
      return outputs;
    }
    case 'builtin:Commit':
      throw new RunStopped();
    case 'builtin:Rollback':
      run.requestRollback();
      if (run.resuming) {
        await run.reportFailure({ ...failedBundle, outcome: 'park-manual' });
        return [];
      }
      throw new RunStopped(error);
    case 'builtin:Break': {
      if (!run.dlqEnabled && !run.resuming) throw new RunStopped(error); // validation refuses this; never run it wrongly
      const settings = breakSettings(
        (await run.mapFields(directive as BlueprintModule, reached[0] as BundleContext)) as Record<string, unknown>,
      );
      // One IE per erroring bundle; its own schedule replaces the scenario's.
      await run.park({ ...failedBundle, outcome: settings.retry ? 'park-auto-retry' : 'park-manual' }, [
        ...breakSchedule(settings),
      ]);
      return [];
    }
    default:
      return [];
  }
}
