/**
 * Blueprint validation: may imex run this blueprint as it is? Errors name the module id, the
 * field (`flow[2].mapper.url`) and the reason. Never throws, whatever the input.
 *
 * Pure: module types are looked up through `ModuleLookup` (the registry in src/modules
 * implements it), so workflow code can validate patched blueprints too.
 */
import type { z } from 'zod';
import { blueprintSchema, unwrapBlueprintExport, type Blueprint, type BlueprintModule } from './blueprint';
import { containsMapping, findReferences, findUnsupportedMappings } from './mapping';

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
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) text += text === '' ? key : `.${key}`;
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
  const errors: BlueprintValidationError[] = [];
  const firstIndexOfId = new Map<number, number>();
  blueprint.flow.forEach((module, index) => {
    const earlier = new Set(firstIndexOfId.keys());
    const seenAt = firstIndexOfId.get(module.id);
    if (seenAt !== undefined) {
      errors.push(
        moduleError(module, index, 'id', `module id ${module.id} is used twice (flow[${seenAt}] and flow[${index}])`),
      );
    } else {
      firstIndexOfId.set(module.id, index);
    }
    errors.push(...validateModule(module, index, modules, earlier, blueprint.flow));
  });
  return errors.length === 0 ? { ok: true, blueprint } : { ok: false, errors };
}

function validateModule(
  module: BlueprintModule,
  index: number,
  modules: ModuleLookup,
  earlierIds: ReadonlySet<number>,
  flow: readonly BlueprintModule[],
): BlueprintValidationError[] {
  const errors: BlueprintValidationError[] = [];
  const fail = (field: string, reason: string) => errors.push(moduleError(module, index, field, reason));

  // Until routers, filters and error handlers are built, refuse them rather than run them wrongly.
  if (module.module === 'builtin:BasicRouter' || isPresent(module.routes)) {
    fail(isPresent(module.routes) ? 'routes' : 'module', 'routers are not supported yet');
  }
  if (isPresent(module.filter)) fail('filter', 'filters are not supported yet');
  if (isPresent(module.onerror)) fail('onerror', 'error handler routes (onerror) are not supported yet');
  if (module.module === 'builtin:BasicRouter') return errors;

  const type = modules.get(module.module);
  if (!type) {
    fail('module', `unknown module type "${module.module}"`);
  } else {
    if (type.versions && !type.versions.includes(module.version)) {
      fail('version', `version ${module.version} is not supported (supported: ${type.versions.join(', ')})`);
    }
    if (type.trigger && index !== 0) fail('module', `${module.module} is a trigger and must be the first module`);
    for (const issue of issuesOf(type.parametersSchema, module.parameters)) {
      fail(joinPath('parameters', issue.path), issue.message);
    }
    for (const issue of issuesOf(type.mapperSchema, module.mapper)) {
      // A mapped field's value is known only at run time; the module checks it then.
      if (mappedOnTheWay(module.mapper, issue.path)) continue;
      fail(joinPath('mapper', issue.path), issue.message);
    }
  }

  for (const reference of findReferences(module.mapper)) {
    if (earlierIds.has(reference.moduleId)) continue;
    const exists = flow.some((other) => other.id === reference.moduleId);
    const reason = exists
      ? `maps {{${reference.expression.trim()}}} from module ${reference.moduleId}, which does not run before it`
      : `maps {{${reference.expression.trim()}}} from module ${reference.moduleId}, which is not in the flow`;
    fail(joinPath('mapper', reference.path), reason);
  }
  for (const unsupported of findUnsupportedMappings(module.mapper)) {
    fail(
      joinPath('mapper', unsupported.path),
      `{{${unsupported.expression}}} is not supported yet: only {{<moduleId>.<path>}} references are`,
    );
  }
  return errors;
}

function moduleError(module: BlueprintModule, index: number, field: string, reason: string): BlueprintValidationError {
  return {
    path: `flow[${index}]${field.startsWith('[') ? '' : '.'}${field}`,
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

/** For structural errors inside `flow[i]`, the id of that module when it has a usable one. */
function moduleIdAt(raw: unknown, path: readonly PathKey[]): { moduleId?: number } {
  if (path[0] !== 'flow' || typeof path[1] !== 'number') return {};
  if (raw === null || typeof raw !== 'object') return {};
  const flow = (raw as { flow?: unknown }).flow;
  if (!Array.isArray(flow)) return {};
  const module: unknown = flow[path[1]];
  if (module === null || typeof module !== 'object') return {};
  const id = (module as { id?: unknown }).id;
  return typeof id === 'number' && Number.isInteger(id) && id > 0 ? { moduleId: id } : {};
}
