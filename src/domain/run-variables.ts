/**
 * What a run remembers between modules besides bundles: Make's variables (`util:SetVariable2`,
 * `util:SetVariables`, read by `util:GetVariable2`, `util:GetVariables`) and each
 * `util:FunctionIncrement`'s count. imex runs one cycle per execution, so Make's two scopes
 * (`roundtrip`, `execution`) and Increment's two resets (`run`, `execution`) mean the same here.
 *
 * The workflow keeps them as modules run (depth-first: a Get sees what a Set that ran before it,
 * on any route, set), and hands them to the modules that read them. An attempt of an IE starts
 * from the stored bundles of the modules before the failed one on its path: it sees the variables
 * those Set modules set and each Increment's last count there (docs/modules.md, "Tools").
 */
import type { BlueprintModule } from './blueprint';
import { isBundleRef, type BundleContext, type BundleOrRef } from './run';

export const VARIABLE_SETTERS = ['util:SetVariable2', 'util:SetVariables'] as const;
export const VARIABLE_GETTERS = ['util:GetVariable2', 'util:GetVariables'] as const;
export const FUNCTION_INCREMENT = 'util:FunctionIncrement';

export function setsVariables(type: string): boolean {
  return (VARIABLE_SETTERS as readonly string[]).includes(type);
}

export function readsVariables(type: string): boolean {
  return (VARIABLE_GETTERS as readonly string[]).includes(type);
}

/** Whether a run of this flow needs its variables or counts kept: a Get or an Increment somewhere. */
export function usesRunState(flow: readonly BlueprintModule[]): boolean {
  return flow.some(
    (module) =>
      readsVariables(module.module) ||
      module.module === FUNCTION_INCREMENT ||
      (module.routes ?? []).some((route) => usesRunState(route.flow)) ||
      usesRunState(module.onerror ?? []),
  );
}

/** A run's variables and counts, as modules set them. */
export class RunState {
  readonly variables: Record<string, unknown> = {};
  private readonly counts = new Map<number, number>();

  /** After a module's operation: a Set module's bundle sets its variables, an Increment's its count. */
  record(module: BlueprintModule, bundle: BundleOrRef | undefined): void {
    if (bundle === undefined || isBundleRef(bundle)) return; // a bundle kept by reference is too large to keep here
    if (setsVariables(module.module)) {
      for (const [name, value] of Object.entries(bundle)) {
        // defineProperty: a variable named "__proto__" is a variable, not a prototype.
        Object.defineProperty(this.variables, name, { value, enumerable: true, writable: true, configurable: true });
      }
    } else if (module.module === FUNCTION_INCREMENT && typeof bundle.i === 'number') {
      this.counts.set(module.id, bundle.i);
    }
  }

  /** The count an Increment output last in this run (0: none yet). */
  lastCount(moduleId: number): number {
    return this.counts.get(moduleId) ?? 0;
  }

  /** An attempt's start: what the stored bundles of the modules before the failed one set, in path order. */
  static restore(before: readonly BlueprintModule[], context: BundleContext): RunState {
    const state = new RunState();
    for (const module of before) state.record(module, context[String(module.id)]);
    return state;
  }
}
