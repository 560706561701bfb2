/**
 * Make's flow control inside a blueprint, as pure data helpers shared by validation and the
 * `scenarioRun` workflow:
 *
 * - **routers** (`builtin:BasicRouter` with `routes: [ { flow } ]`): every bundle goes through
 *   each route in order. A router ends its flow: what follows it lives in its routes. Routers
 *   and filters are not operations (Make does not count them).
 * - **error-handler routes** (`onerror: [ …modules, directive ]`): run when the module fails
 *   (after its in-run retries). The route's modules map the failure as the failed module's
 *   output: `{{<failedId>.error.type}}`, `{{<failedId>.error.message}}` (the same shape as the
 *   failer's entry of an IE's `/bundle`). The last module may be a directive; a route without
 *   one ignores the error, as Make's does.
 */
import type { BlueprintModule } from './blueprint';
import type { RetrySchedule } from './schedule';

export const ROUTER = 'builtin:BasicRouter';

export const directives = [
  'builtin:Break',
  'builtin:Resume',
  'builtin:Ignore',
  'builtin:Commit',
  'builtin:Rollback',
] as const;
export type Directive = (typeof directives)[number];

export function isDirective(type: string): type is Directive {
  return (directives as readonly string[]).includes(type);
}

/** Break's settings (Make: "Automatically complete execution", "Number of attempts", "Interval between attempts"). */
export interface BreakSettings {
  retry: boolean;
  count: number;
  /** Minutes; fractions are accepted (tests and demos use seconds). */
  interval: number;
}

export const BREAK_DEFAULTS: BreakSettings = { retry: false, count: 3, interval: 15 };
export const BREAK_MAX_COUNT = 100;
/** Make's UI maximum: 31 days. */
export const BREAK_MAX_INTERVAL_MINUTES = 44_640;

/**
 * Break's mapper after mapping (`{ retry, count, interval }`; exports may hold them as text).
 * A value that is missing or out of range takes Make's default; validation reports such values
 * when they are static, so only a mapping that yields nonsense reaches the defaults at run time.
 */
export function breakSettings(mapper: Record<string, unknown> | undefined): BreakSettings {
  const retry = mapper?.retry;
  const count = numberFrom(mapper?.count);
  const interval = numberFrom(mapper?.interval);
  return {
    retry: retry === true || retry === 'true' || retry === 1 || retry === '1',
    count:
      count !== undefined && Number.isInteger(count) && count >= 1 && count <= BREAK_MAX_COUNT
        ? count
        : BREAK_DEFAULTS.count,
    interval:
      interval !== undefined && interval > 0 && interval <= BREAK_MAX_INTERVAL_MINUTES
        ? interval
        : BREAK_DEFAULTS.interval,
  };
}

/** The IE schedule a Break sets: `count` attempts, `interval` minutes apart. */
export function breakSchedule(settings: BreakSettings): RetrySchedule {
  return Array.from({ length: settings.count }, () => Math.round(settings.interval * 60_000));
}

export function numberFrom(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value.trim());
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/** Where a module sits: the flow (top level or a route's) that holds it, and its index there. */
export interface FlowPosition {
  flow: readonly BlueprintModule[];
  index: number;
  /** The modules that run before it on its path (its ancestors), in order. */
  before: BlueprintModule[];
}

/**
 * Finds a module in the flow and in routers' routes (not in error-handler routes: an IE never
 * waits inside one). An attempt resumes there and runs only the rest of that flow.
 */
export function findModulePosition(
  flow: readonly BlueprintModule[],
  moduleId: number,
  before: BlueprintModule[] = [],
): FlowPosition | undefined {
  for (const [index, module] of flow.entries()) {
    if (module.id === moduleId) return { flow, index, before: [...before, ...flow.slice(0, index)] };
    for (const route of module.routes ?? []) {
      const found = findModulePosition(route.flow, moduleId, [...before, ...flow.slice(0, index + 1)]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Whether the blueprint uses routers, filters or error-handler routes anywhere. */
export function usesFlowControl(flow: readonly BlueprintModule[]): boolean {
  return flow.some(
    (module) =>
      module.module === ROUTER ||
      module.filter !== undefined ||
      (module.onerror?.length ?? 0) > 0 ||
      (module.routes ?? []).some((route) => usesFlowControl(route.flow)),
  );
}
