/**
 * Blueprint validation: may imex run this blueprint as it is? Errors name the module id, the
 * field (`flow[2].mapper.url`) and the reason. Never throws, whatever the input. Bounded (module
 * count, nesting) and linear in the input; prototype and `$` keys are refused anywhere in it.
 *
 * Pure: module types are looked up through `ModuleLookup` (the registry in src/modules
 * implements it). Not for workflow code (zod): the activity that applies a patch validates it.
 */
import { z } from 'zod';
import { unwrapBlueprintExport, type Blueprint, type BlueprintModule } from '../blueprint';
import { isFilterOperator } from '../filter';
import { findForbiddenJsonKeys } from '../json-keys';
import { BREAK_MAX_COUNT, BREAK_MAX_INTERVAL_MINUTES, isDirective, ROUTER } from '../flow-control';
import { containsMapping, findMappingProblems, findReferences } from '../mapping';
import { aggregatorSettings, isAggregator } from '../aggregation';
import { ORDER_KEY_FIELD, orderKeyProblems } from '../order-key';
import { blueprintSchema } from './blueprint';

/** What validation needs to know about a module type. */
export interface ModuleTypeInfo {
  parametersSchema: z.ZodType;
  mapperSchema: z.ZodType;
  /** Versions imex implements; any version when absent. */
  versions?: readonly number[];
  /** A trigger produces the run's first bundles and must be the first module. */
  trigger?: boolean;
}

export interface ModuleLookup {
  get(type: string): ModuleTypeInfo | undefined;
}

export interface BlueprintValidationError {
  /** Where, e.g. `flow[2].mapper.url`; empty for the blueprint as a whole. */
  path: string;
  moduleId?: number;
  message: string;
}

export type BlueprintValidationResult =
  { ok: true; blueprint: Blueprint } | { ok: false; errors: BlueprintValidationError[] };

type PathKey = string | number | symbol;

/** `['flow', 2, 'mapper', 'a b']` → `flow[2].mapper["a b"]`. */
export function formatPath(path: readonly PathKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    // A record keyed by ids (bundles by module id) reads `bundles.2.value`; array indexes stay `[2]`.
    else if (typeof key === 'string' && /^([A-Za-z_$][\w$]*|\d+)$/.test(key)) text += text === '' ? key : `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text;
}

export function validateBlueprint(input: unknown, modules: ModuleLookup): BlueprintValidationResult {
  try {
    return validate(input, modules);
  } catch (error) {
    // A safety net, not a code path: validation is meant to return for every input.
    return { ok: false, errors: [{ path: '', message: `internal validation error: ${String(error)}` }] };
  }
}

function validate(input: unknown, modules: ModuleLookup): BlueprintValidationResult {
  const raw = unwrapBlueprintExport(input);
  // Bounded before anything else looks at it: the count is one cheap pass over the raw arrays.
  const tooLarge = sizeError(raw);
  if (tooLarge) return { ok: false, errors: [tooLarge] };
  // Before zod copies anything: a `__proto__` key would become a prototype (json-keys.ts).
  const forbidden = findForbiddenJsonKeys(raw, 'imex');
  if (forbidden.length > 0) {
    return { ok: false, errors: forbidden.map((key) => ({ path: formatPath(key.path), message: key.message })) };
  }
  const parsed = blueprintSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => ({
        path: formatPath(issue.path),
        ...moduleIdAt(raw, issue.path),
        message: issue.message,
      })),
    };
  }
  const blueprint = parsed.data;
  const checker = new FlowChecker(blueprint, modules);
  checker.checkFlow(blueprint.flow, 'flow');
  for (const message of orderKeyProblems(blueprint)) checker.errors.push({ path: ORDER_KEY_FIELD, message });
  return checker.errors.length === 0 ? { ok: true, blueprint } : { ok: false, errors: checker.errors };
}

/**
 * Most modules in one blueprint, counting those in routers' routes and error-handler routes. Real
 * scenarios have tens, rarely a few hundred; at this size validation takes well under a second.
 */
export const BLUEPRINT_MAX_MODULES = 2_000;
/** Deepest nesting of routes and error-handler routes (a route inside a route is one level more). */
export const BLUEPRINT_MAX_NESTING = 32;

/** Counts modules and nesting on the raw input (before zod), stopping as soon as a bound is passed. */
function sizeError(raw: unknown): BlueprintValidationError | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const stack: { flow: unknown; depth: number; path: string }[] = [
    { flow: (raw as { flow?: unknown }).flow, depth: 0, path: 'flow' },
  ];
  let modules = 0;
  while (stack.length > 0) {
    const { flow, depth, path } = stack.pop() as { flow: unknown; depth: number; path: string };
    if (!Array.isArray(flow)) continue;
    if (depth > BLUEPRINT_MAX_NESTING) {
      return { path, message: `routes are nested more than ${BLUEPRINT_MAX_NESTING} levels deep` };
    }
    modules += flow.length;
    if (modules > BLUEPRINT_MAX_MODULES) {
      return {
        path: 'flow',
        message: `the blueprint has more than ${BLUEPRINT_MAX_MODULES} modules (routes and error handlers included): split the scenario`,
      };
    }
    flow.forEach((module: unknown, index) => {
      if (module === null || typeof module !== 'object') return;
      const { routes, onerror } = module as { routes?: unknown; onerror?: unknown };
      if (Array.isArray(onerror)) stack.push({ flow: onerror, depth: depth + 1, path: `${path}[${index}].onerror` });
      if (Array.isArray(routes)) {
        routes.forEach((route: unknown, r) => {
          const routeFlow =
            route !== null && typeof route === 'object' ? (route as { flow?: unknown }).flow : undefined;
          stack.push({ flow: routeFlow, depth: depth + 1, path: `${path}[${index}].routes[${r}].flow` });
        });
      }
    });
  }
  return undefined;
}

/**
 * The module ids a module may map from, as the walk goes: ids are added when their module has been
 * walked and removed when the walk leaves their route, so each module is added and removed once
 * (linear), instead of building a set per module (quadratic). Counted, because ids may repeat in
 * an invalid blueprint.
 */
class Scope {
  private readonly counts = new Map<number, number>();

  has(id: number): boolean {
    return (this.counts.get(id) ?? 0) > 0;
  }

  add(id: number): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }

  remove(id: number): void {
    const count = (this.counts.get(id) ?? 0) - 1;
    if (count > 0) this.counts.set(id, count);
    else this.counts.delete(id);
  }
}

/**
 * Walks the flow, routers' routes and error-handler routes. `scope` is what a module may map
 * from: the modules that run before it on its path (and, in an error-handler route, the failed
 * module, whose output there is its error).
 */
class FlowChecker {
  readonly errors: BlueprintValidationError[] = [];
  private readonly allIds = new Set<number>();
  private readonly firstPathOfId = new Map<number, string>();
  private readonly scope = new Scope();

  constructor(
    private readonly blueprint: Blueprint,
    private readonly modules: ModuleLookup,
  ) {
    this.collectIds(blueprint.flow, 'flow');
  }

  /** Module ids are unique across the whole blueprint: IEs, logs and mappings name modules by id. */
  private collectIds(flow: readonly BlueprintModule[], prefix: string): void {
    flow.forEach((module, index) => {
      const path = `${prefix}[${index}]`;
      const seenAt = this.firstPathOfId.get(module.id);
      if (seenAt === undefined) this.firstPathOfId.set(module.id, path);
      else this.fail(module, path, 'id', `module id ${module.id} is used twice (${seenAt} and ${path})`);
      this.allIds.add(module.id);
      (module.routes ?? []).forEach((route, r) => this.collectIds(route.flow, `${path}.routes[${r}].flow`));
      if (module.onerror) this.collectIds(module.onerror, `${path}.onerror`);
    });
  }

  private fail(module: BlueprintModule, modulePath: string, field: string, reason: string): void {
    this.errors.push(moduleError(module, modulePath, field, reason));
  }

  /** Checks `flow` with the current scope; leaves the scope as it found it. */
  checkFlow(flow: readonly BlueprintModule[], prefix: string): void {
    const available = this.scope;
    /** Ids of aggregation scopes already closed: the rest of the flow cannot map them (Make). */
    const hidden = new Set<number>();
    const scopes: { feederIndex: number; aggregatorIndex: number }[] = [];
    flow.forEach((module, index) => {
      const path = `${prefix}[${index}]`;
      this.checkFilter(module, path, available);
      if (module.module === ROUTER) {
        this.checkRouter(module, path, index === flow.length - 1);
      } else if (isDirective(module.module)) {
        this.fail(module, path, 'module', `${module.module} is a directive: it ends an error-handler route (onerror)`);
      } else {
        if (isPresent(module.routes)) this.fail(module, path, 'routes', `only ${ROUTER} has routes`);
        this.checkModule(module, path, prefix === 'flow' && index === 0, available);
      }
      if (isAggregator(module.module)) {
        const scope = this.checkAggregator(flow, index, path, scopes);
        if (scope) {
          for (const closed of flow.slice(scope.feederIndex, index)) {
            if (hidden.has(closed.id)) continue;
            hidden.add(closed.id);
            this.scope.remove(closed.id);
          }
        }
      }
      // The failed module's output in its error-handler route is its error; later modules map it too.
      this.scope.add(module.id);
      if (module.module !== ROUTER && !isDirective(module.module) && isPresent(module.onerror)) {
        this.checkHandlerRoute(module, path);
      }
    });
    for (const module of flow) if (!hidden.has(module.id)) this.scope.remove(module.id);
  }

  /**
   * An aggregator's source (`parameters.feeder`) comes earlier in the same flow; scopes nest and
   * never cross, and one source feeds one aggregator. Returns its scope when it is usable.
   */
  private checkAggregator(
    flow: readonly BlueprintModule[],
    index: number,
    path: string,
    scopes: { feederIndex: number; aggregatorIndex: number }[],
  ): { feederIndex: number; aggregatorIndex: number } | undefined {
    const aggregator = flow[index] as BlueprintModule;
    const { feeder, groupBy } = aggregatorSettings(aggregator);
    if (isPresent(aggregator.onerror)) {
      this.fail(aggregator, path, 'onerror', 'an aggregator cannot have an error-handler route');
    }
    if (groupBy !== undefined) this.checkReferences(aggregator, path, 'flags.groupBy', groupBy, this.scope);
    if (feeder === undefined) return undefined; // its parameters schema names the field
    const feederIndex = flow.findIndex((m, i) => i < index && m.id === feeder);
    if (feederIndex < 0) {
      this.fail(
        aggregator,
        path,
        'parameters.feeder',
        `its source module ${feeder} must come before it in the same flow (the same route)`,
      );
      return undefined;
    }
    const source = flow[feederIndex] as BlueprintModule;
    if (source.module === ROUTER) {
      this.fail(aggregator, path, 'parameters.feeder', `its source module ${feeder} is a router`);
      return undefined;
    }
    for (const other of scopes) {
      if (other.feederIndex === feederIndex) {
        this.fail(
          aggregator,
          path,
          'parameters.feeder',
          `module ${feeder} is already the source of aggregator ${flow[other.aggregatorIndex]?.id}`,
        );
        return undefined;
      }
      if (other.feederIndex < feederIndex && feederIndex < other.aggregatorIndex) {
        this.fail(
          aggregator,
          path,
          'parameters.feeder',
          `its scope (from module ${feeder}) crosses the scope of aggregator ${flow[other.aggregatorIndex]?.id}: scopes must nest`,
        );
        return undefined;
      }
    }
    const scope = { feederIndex, aggregatorIndex: index };
    scopes.push(scope);
    return scope;
  }

  private checkRouter(router: BlueprintModule, path: string, isLast: boolean): void {
    if (!isLast) {
      this.fail(
        router,
        path,
        'module',
        'a router must be the last module of its flow: what follows it belongs in its routes',
      );
    }
    if (isPresent(router.onerror)) this.fail(router, path, 'onerror', 'a router cannot have an error-handler route');
    if (!isPresent(router.routes)) this.fail(router, path, 'routes', 'a router needs at least one route');
    (router.routes ?? []).forEach((route, r) => this.checkFlow(route.flow, `${path}.routes[${r}].flow`));
  }

  /** `onerror`: plain modules, then optionally one directive, which ends the route. The failed module is in scope. */
  private checkHandlerRoute(failed: BlueprintModule, failedPath: string): void {
    const route = failed.onerror ?? [];
    const available = this.scope;
    route.forEach((module, index) => {
      const path = `${failedPath}.onerror[${index}]`;
      this.checkFilter(module, path, available);
      if (module.module === ROUTER || isPresent(module.routes)) {
        this.fail(module, path, 'routes', 'routers inside an error-handler route are not supported');
      } else {
        if (isPresent(module.onerror)) {
          this.fail(module, path, 'onerror', 'error handlers inside an error-handler route are not supported');
        }
        if (isAggregator(module.module)) {
          this.fail(module, path, 'module', 'an aggregator cannot sit in an error-handler route');
        }
        if (isDirective(module.module)) {
          if (index !== route.length - 1) {
            this.fail(module, path, 'module', `${module.module} must be the last module of its error-handler route`);
          }
          this.checkDirective(module, path, available);
        } else {
          this.checkModule(module, path, false, available);
        }
      }
      this.scope.add(module.id);
    });
    for (const module of route) this.scope.remove(module.id);
  }

  private checkDirective(directive: BlueprintModule, path: string, available: Pick<Scope, 'has'>): void {
    this.checkReferences(directive, path, 'mapper', directive.mapper, available);
    if (directive.module !== 'builtin:Break') return;
    // Make: "This directive requires storing of incomplete executions to be enabled".
    if (!this.blueprint.metadata.scenario.dlq) {
      this.fail(
        directive,
        path,
        'module',
        'Break requires storing incomplete executions (metadata.scenario.dlq: true)',
      );
    }
    for (const issue of issuesOf(breakMapperSchema, directive.mapper)) {
      if (mappedOnTheWay(directive.mapper, issue.path)) continue;
      this.fail(directive, path, joinPath('mapper', issue.path), issue.message);
    }
  }

  private checkFilter(module: BlueprintModule, path: string, available: Pick<Scope, 'has'>): void {
    const filter = module.filter;
    if (!filter) return;
    filter.conditions.forEach((group, g) =>
      group.forEach((condition, c) => {
        const field = `filter.conditions[${g}][${c}]`;
        if (!isFilterOperator(condition.o)) {
          this.fail(module, path, `${field}.o`, `unknown filter operator "${condition.o}"`);
        }
        for (const side of ['a', 'b'] as const) {
          this.checkReferences(module, path, `${field}.${side}`, condition[side], available);
        }
      }),
    );
  }

  private checkModule(module: BlueprintModule, path: string, isFirst: boolean, available: Pick<Scope, 'has'>): void {
    const type = this.modules.get(module.module);
    if (!type) {
      this.fail(module, path, 'module', `unknown module type "${module.module}"`);
    } else {
      if (type.versions && !type.versions.includes(module.version)) {
        this.fail(
          module,
          path,
          'version',
          `version ${module.version} is not supported (supported: ${type.versions.join(', ')})`,
        );
      }
      if (type.trigger && !isFirst)
        this.fail(module, path, 'module', `${module.module} is a trigger and must be the first module`);
      for (const issue of issuesOf(type.parametersSchema, module.parameters)) {
        this.fail(module, path, joinPath('parameters', issue.path), issue.message);
      }
      for (const issue of issuesOf(type.mapperSchema, module.mapper)) {
        // A mapped field's value is known only at run time; the module checks it then.
        if (mappedOnTheWay(module.mapper, issue.path)) continue;
        this.fail(module, path, joinPath('mapper', issue.path), issue.message);
      }
    }
    this.checkReferences(module, path, 'mapper', module.mapper, available);
  }

  private checkReferences(
    module: BlueprintModule,
    path: string,
    field: string,
    value: unknown,
    available: Pick<Scope, 'has'>,
  ): void {
    for (const reference of findReferences(value)) {
      if (available.has(reference.moduleId)) continue;
      const where = reference.moduleId === module.id ? 'itself' : `module ${reference.moduleId}`;
      const reason = this.allIds.has(reference.moduleId)
        ? `maps {{${reference.expression.trim()}}} from ${where}, which does not run before it`
        : `maps {{${reference.expression.trim()}}} from module ${reference.moduleId}, which is not in the flow`;
      this.fail(module, path, joinField(field, reference.path), reason);
    }
    for (const problem of findMappingProblems(value)) {
      this.fail(module, path, joinField(field, problem.path), `{{${problem.expression}}}: ${problem.message}`);
    }
  }
}

/** Break's mapper when its values are static (exports may hold numbers as text). */
const numberLike = z
  .union([z.number(), z.string().regex(/^\s*-?\d+(\.\d+)?\s*$/, 'expected a number')])
  .pipe(z.coerce.number());
const breakMapperSchema = z.looseObject({
  retry: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  count: numberLike.pipe(z.number().int('count is a whole number of attempts').min(1).max(BREAK_MAX_COUNT)).optional(),
  interval: numberLike
    .pipe(z.number().gt(0, 'interval is in minutes and must be above 0').max(BREAK_MAX_INTERVAL_MINUTES))
    .optional(),
});

/** `filter.conditions[0][1].a` + `['x', 0]` → `filter.conditions[0][1].a.x[0]`. */
function joinField(field: string, path: readonly PathKey[]): string {
  const rest = formatPath(path);
  if (rest === '') return field;
  return rest.startsWith('[') ? `${field}${rest}` : `${field}.${rest}`;
}

function moduleError(
  module: BlueprintModule,
  modulePath: string,
  field: string,
  reason: string,
): BlueprintValidationError {
  return {
    path: `${modulePath}${field.startsWith('[') ? '' : '.'}${field}`,
    moduleId: module.id,
    message: `module ${module.id} (${module.module}): ${reason}`,
  };
}

function issuesOf(schema: z.ZodType, value: unknown): { path: PathKey[]; message: string }[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
}

function joinPath(field: string, path: readonly PathKey[]): string {
  return formatPath([field, ...path]);
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** Whether the value at `path`, or any value on the way there, is a `{{…}}` mapping. */
function mappedOnTheWay(root: unknown, path: readonly PathKey[]): boolean {
  let current: unknown = root;
  for (const key of path) {
    if (containsMapping(current)) return true;
    if (current === null || typeof current !== 'object' || typeof key === 'symbol') return false;
    if (!Object.prototype.hasOwnProperty.call(current, key)) return false;
    current = (current as Record<string | number, unknown>)[key];
  }
  return containsMapping(current);
}

/** For structural errors inside a module (at any depth), the id of the innermost module that has a usable one. */
function moduleIdAt(raw: unknown, path: readonly PathKey[]): { moduleId?: number } {
  let current: unknown = raw;
  let found: { moduleId?: number } = {};
  for (let i = 0; i < path.length; i++) {
    if (current === null || typeof current !== 'object') break;
    const key = path[i];
    if (key === undefined || typeof key === 'symbol') break;
    current = (current as Record<string | number, unknown>)[key];
    const holder = path[i - 1];
    if (typeof key === 'number' && (holder === 'flow' || holder === 'onerror')) {
      const id = current !== null && typeof current === 'object' ? (current as { id?: unknown }).id : undefined;
      if (typeof id === 'number' && Number.isInteger(id) && id > 0) found = { moduleId: id };
    }
  }
  return found;
}
