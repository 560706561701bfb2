/**
 * What a retry of an incomplete execution would run, worked out before it runs (issue 21): the
 * answer of `GET /dlqs/{id}/plan` and the check of `POST /dlqs/{id}/retry`'s `from` and `blueprint`.
 *
 * A retry starts at a module (`from`): the failed one (the default), an earlier module on its path
 * (every module before it on the path has its output stored in the IE), or the trigger, which
 * means the start of the scenario: the trigger's stored bundle is its input and every module after
 * it runs again (a trigger is never run again: its event is past). The stored outputs of the
 * modules before the start are reused; from the start on, the rest of its flow runs (a router's
 * routes, and what follows the failed module), exactly as an attempt runs
 * (workflows/scenario-run.ts): this is the plan the retry then carries out.
 *
 * Filters are evaluated as far as the stored data allows: a filter that maps only from reused
 * outputs is decided now (passes, or the path stops there); one that reads an output the retry
 * has yet to produce, or a hash function (only an activity has them), is `unknown` and the
 * modules after it `maybe` run.
 */
import type { Blueprint, BlueprintModule } from './blueprint';
import { evaluateFilter } from './filter';
import { findModulePosition, isDirective, ROUTER } from './flow-control';
import { evaluateMapping, ImlMappingError, referencedModuleIds, usesHostFunctions } from './mapping';
import { mappingEnvironment, type MappingScope } from './mapping-scope';
import { isBundleRef, type BundleContext } from './run';

export const blueprintChoices = ['stored', 'current'] as const;
export type BlueprintChoice = (typeof blueprintChoices)[number];

/** What running a module does outside imex's workflow (the module layer knows: src/modules/effects.ts). */
export interface ModuleEffects {
  /** It calls a service (a request leaves imex) or writes a data store. */
  callsService: boolean;
  /** Running it twice with the same input does no more than running it once (false when unknown). */
  idempotent: boolean;
}

export type ModuleEffectsOf = (module: BlueprintModule) => ModuleEffects;

export interface PlannedModule {
  moduleId: number;
  module: string;
  /** The route indices from the top-level flow to it (empty: the top-level flow). */
  route: number[];
  /**
   * `runs`: it runs (as far as the stored data tells); `maybe`: a filter before it or on it reads
   * data the retry has yet to produce; `filtered`: its filter fails on the stored data, so neither
   * it nor what follows it on that path runs.
   */
  runs: 'runs' | 'maybe' | 'filtered';
  /** Its filter's verdict on the stored data (absent: no filter, or the start, whose filter passed before). */
  filter?: 'passes' | 'fails' | 'unknown';
  callsService: boolean;
  idempotent: boolean;
}

export interface PlanWarning {
  moduleId: number;
  kind: 'not-idempotent' | 'empty-mapping';
  message: string;
}

export interface RetryPlan {
  blueprint: BlueprintChoice;
  failer: number;
  /** The module the retry was asked to start at (the failed one by default). */
  from: number;
  /** The first module that runs (after the trigger when `from` is the trigger). */
  startsAt: number;
  /** Stored outputs the retry reuses, in path order: the modules before `startsAt`. */
  reused: { moduleId: number; module: string }[];
  /** The modules that would run, in order (depth-first, each router's routes in order). */
  modules: PlannedModule[];
  /** Of those, the ones that would call a service again (`runs` or `maybe`). */
  callsServiceAgain: number[];
  warnings: PlanWarning[];
}

export type RetryPlanVerdict =
  { ok: true; plan: RetryPlan } | { ok: false; field: 'from' | 'blueprint'; reason: string };

export interface RetryPlanInput {
  blueprint: Blueprint;
  choice: BlueprintChoice;
  failer: number;
  /** The IE's stored bundles by module id (large ones may still be references: then they count as unknown). */
  context: BundleContext;
  from?: number;
  effectsOf: ModuleEffectsOf;
  scope?: MappingScope;
  now?: number;
}

/** The plan, or why the retry cannot start there (the field to name in a 400). */
export function planRetry(input: RetryPlanInput): RetryPlanVerdict {
  const { blueprint, failer, context } = input;
  const flow = blueprint.flow as BlueprintModule[];
  const failerAt = findModulePosition(flow, failer);
  if (!failerAt) {
    return {
      ok: false,
      field: 'blueprint',
      reason: `the ${input.choice} blueprint has no module ${failer} (the failed module)`,
    };
  }
  const failerModule = failerAt.flow[failerAt.index] as BlueprintModule;
  const missing = referencedModuleIds(failerModule.mapper).filter(
    (id) => !failerAt.before.some((module) => module.id === id),
  );
  if (missing.length > 0) {
    return {
      ok: false,
      field: 'blueprint',
      reason: `in the ${input.choice} blueprint, module ${failer} maps from ${missing.join(', ')}, not before it on its path`,
    };
  }

  const from = input.from ?? failer;
  const trigger = flow[0] as BlueprintModule;
  const onPath = [...failerAt.before.filter((module) => module.module !== ROUTER), failerModule];
  if (!onPath.some((module) => module.id === from)) {
    return { ok: false, field: 'from', reason: `module ${from} is not on the path to module ${failer}` };
  }
  const fromTrigger = from === trigger.id;
  const startsAt = fromTrigger ? firstRunnable(flow) : from;
  if (startsAt === undefined)
    return { ok: false, field: 'from', reason: 'the scenario has no module after its trigger' };
  const start = findModulePosition(flow, startsAt) as NonNullable<ReturnType<typeof findModulePosition>>;
  const reusedModules = start.before.filter((module) => module.module !== ROUTER);
  const unstored = reusedModules.filter((module) => context[String(module.id)] === undefined).map((m) => m.id);
  if (unstored.length > 0) {
    return {
      ok: false,
      field: 'from',
      reason: `module ${from} needs the output of module ${unstored.join(', ')}, which the incomplete execution does not store`,
    };
  }

  const known = new Map<number, Record<string, unknown>>();
  for (const module of reusedModules) {
    const bundle = context[String(module.id)];
    if (bundle !== undefined && !isBundleRef(bundle)) known.set(module.id, bundle);
  }
  const reusedIds = new Set(reusedModules.map((module) => module.id));
  const walker = new PlanWalker(input, known, reusedIds, route(flow, start.flow));
  walker.walk(start.flow, start.index, 'runs', true);
  const modules = walker.planned;
  return {
    ok: true,
    plan: {
      blueprint: input.choice,
      failer,
      from,
      startsAt,
      reused: reusedModules.map((module) => ({ moduleId: module.id, module: module.module })),
      modules,
      callsServiceAgain: modules.filter((m) => m.callsService && m.runs !== 'filtered').map((m) => m.moduleId),
      warnings: walker.warnings,
    },
  };
}

/** The context an attempt that starts at `startsAt` resumes with: the stored outputs before it on its path. */
export function contextBefore(blueprint: Blueprint, startsAt: number, context: BundleContext): BundleContext {
  const position = findModulePosition(blueprint.flow as BlueprintModule[], startsAt);
  const kept: BundleContext = {};
  for (const module of position?.before ?? []) {
    const bundle = context[String(module.id)];
    if (bundle !== undefined) kept[String(module.id)] = bundle;
  }
  return kept;
}

class PlanWalker {
  readonly planned: PlannedModule[] = [];
  readonly warnings: PlanWarning[] = [];
  /** Modules the retry runs before the one being planned (their output is not known yet). */
  private readonly produced = new Set<number>();

  constructor(
    private readonly input: RetryPlanInput,
    private readonly known: ReadonlyMap<number, Record<string, unknown>>,
    private readonly reused: ReadonlySet<number>,
    private readonly routePath: number[],
  ) {}

  walk(flow: readonly BlueprintModule[], index: number, reach: 'runs' | 'maybe', isStart = false, at = this.routePath) {
    let current = reach;
    for (const module of flow.slice(index)) {
      const filter = isStart && module === flow[index] ? undefined : this.filterVerdict(module);
      if (filter === 'fails') {
        this.add(module, at, 'filtered', filter);
        return;
      }
      if (filter === 'unknown') current = 'maybe';
      if (module.module === ROUTER) {
        this.add(module, at, current, filter);
        (module.routes ?? []).forEach((r, i) => this.walk(r.flow, 0, current, false, [...at, i]));
        return;
      }
      this.add(module, at, current, filter);
      this.checkMapping(module);
      this.produced.add(module.id);
    }
  }

  private add(module: BlueprintModule, route: number[], runs: PlannedModule['runs'], filter?: PlannedModule['filter']) {
    const local = module.module === ROUTER || isDirective(module.module);
    const effects = local ? { callsService: false, idempotent: true } : this.input.effectsOf(module);
    this.planned.push({
      moduleId: module.id,
      module: module.module,
      route,
      runs,
      ...(filter ? { filter } : {}),
      ...effects,
    });
    if (runs !== 'filtered' && effects.callsService && !effects.idempotent) {
      const again = module.id === this.input.failer ? 'runs again' : 'ran before and runs again';
      this.warnings.push({
        moduleId: module.id,
        kind: 'not-idempotent',
        message: `module ${module.id} (${module.module}) ${again} and is not idempotent: the service may act twice`,
      });
    }
  }

  private filterVerdict(module: BlueprintModule): PlannedModule['filter'] {
    const filter = module.filter;
    if (!filter || filter.conditions.length === 0) return undefined;
    const ids = referencedModuleIds(filter.conditions);
    if (ids.some((id) => !this.known.has(id)) || usesHostFunctions(filter.conditions)) return 'unknown';
    try {
      return evaluateFilter(filter, this.contextOf(ids), this.environment(module, 'filter')) ? 'passes' : 'fails';
    } catch (err) {
      if (err instanceof ImlMappingError) return 'fails'; // the run fails such a filter too
      throw err;
    }
  }

  /** Mappings that would be empty: a reference to a module with no output on the path, or a stored field that is not there. */
  private checkMapping(module: BlueprintModule): void {
    const ids = referencedModuleIds(module.mapper);
    const absent = ids.filter((id) => !this.reused.has(id) && !this.produced.has(id));
    for (const id of absent) {
      this.warnings.push({
        moduleId: module.id,
        kind: 'empty-mapping',
        message: `module ${module.id} maps from module ${id}, which has no output on this path: those fields would be empty`,
      });
    }
    if (absent.length > 0 || ids.some((id) => !this.known.has(id)) || usesHostFunctions(module.mapper)) return;
    let mapped: unknown;
    try {
      mapped = evaluateMapping(module.mapper, this.contextOf(ids), this.environment(module, 'mapper'));
    } catch (err) {
      if (!(err instanceof ImlMappingError)) throw err;
      this.warnings.push({
        moduleId: module.id,
        kind: 'empty-mapping',
        message: `module ${module.id}: ${err.message}`,
      });
      return;
    }
    for (const path of emptiedFields(module.mapper, mapped)) {
      this.warnings.push({
        moduleId: module.id,
        kind: 'empty-mapping',
        message: `module ${module.id}: mapper.${path} would be empty with the stored data`,
      });
    }
  }

  private contextOf(ids: readonly number[]): BundleContext {
    return Object.fromEntries(ids.map((id) => [String(id), this.known.get(id) as Record<string, unknown>]));
  }

  private environment(module: BlueprintModule, what: string) {
    return mappingEnvironment(this.input.scope, `plan:${module.id}:${what}`, { now: this.input.now ?? Date.now() });
  }
}

/** The first module after the trigger (in the top-level flow, or a router's first route). */
function firstRunnable(flow: readonly BlueprintModule[]): number | undefined {
  return flow[1]?.id;
}

/** The route indices that lead from the top-level flow to `target` (a flow array of the blueprint). */
function route(flow: readonly BlueprintModule[], target: readonly BlueprintModule[], at: number[] = []): number[] {
  return routeTo(flow, target, at) ?? [];
}

function routeTo(
  flow: readonly BlueprintModule[],
  target: readonly BlueprintModule[],
  at: number[],
): number[] | undefined {
  if (flow === target) return at;
  for (const module of flow) {
    for (const [i, r] of (module.routes ?? []).entries()) {
      const found = routeTo(r.flow, target, [...at, i]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Paths of mapper fields that held an expression and evaluate to nothing (absent or empty text). */
function emptiedFields(source: unknown, mapped: unknown, path = ''): string[] {
  if (typeof source === 'string') {
    const empty = mapped === undefined || mapped === null || mapped === '';
    return source.includes('{{') && empty ? [path] : [];
  }
  if (source === null || typeof source !== 'object') return [];
  const target = (mapped ?? {}) as Record<string, unknown>;
  return Object.entries(source as Record<string, unknown>).flatMap(([key, value]) =>
    emptiedFields(value, target[key], path ? `${path}.${key}` : key),
  );
}
