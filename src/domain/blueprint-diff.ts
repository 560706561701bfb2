/**
 * Module by module, what differs between two blueprints (an IE's stored one and its scenario's
 * current one): modules added and removed, and for each module in both, the fields that changed
 * (a path such as `mapper.data` or `filter.conditions.0.0.b`, with both values). A router's routes
 * and a module's error-handler route are compared as the modules they hold, not as fields.
 */
import type { Blueprint, BlueprintModule } from './blueprint';

export interface ModuleRef {
  moduleId: number;
  module: string;
}

export interface FieldChange {
  path: string;
  /** Absent: the field is not on that side. */
  before?: unknown;
  after?: unknown;
}

export interface BlueprintDiff {
  /** True when the two blueprints' flows are the same (settings may still differ: `settings`). */
  same: boolean;
  added: ModuleRef[];
  removed: ModuleRef[];
  changed: (ModuleRef & { fields: FieldChange[] })[];
  /** Changes to the scenario's settings (`metadata.scenario`). */
  settings: FieldChange[];
}

export function diffBlueprints(before: Blueprint, after: Blueprint): BlueprintDiff {
  const was = modulesById(before.flow as BlueprintModule[]);
  const now = modulesById(after.flow as BlueprintModule[]);
  const ref = (module: BlueprintModule): ModuleRef => ({ moduleId: module.id, module: module.module });
  const added = [...now.values()].filter((m) => !was.has(m.id)).map(ref);
  const removed = [...was.values()].filter((m) => !now.has(m.id)).map(ref);
  const changed = [...now.values()]
    .filter((m) => was.has(m.id))
    .map((m) => ({ ...ref(m), fields: fieldChanges(ownFields(was.get(m.id) as BlueprintModule), ownFields(m)) }))
    .filter((m) => m.fields.length > 0);
  const settings = fieldChanges(before.metadata?.scenario ?? {}, after.metadata?.scenario ?? {});
  const byId = (a: ModuleRef, b: ModuleRef) => a.moduleId - b.moduleId;
  return {
    same: added.length + removed.length + changed.length === 0,
    added: added.sort(byId),
    removed: removed.sort(byId),
    changed: changed.sort(byId),
    settings,
  };
}

function modulesById(flow: readonly BlueprintModule[], into = new Map<number, BlueprintModule>()) {
  for (const module of flow) {
    into.set(module.id, module);
    for (const route of module.routes ?? []) modulesById(route.flow, into);
    modulesById(module.onerror ?? [], into);
  }
  return into;
}

/** The module without the modules it holds, and with the ids of those (a reordered route is a change). */
function ownFields(module: BlueprintModule): Record<string, unknown> {
  const { routes, onerror, ...own } = module;
  return {
    ...own,
    ...(routes ? { routes: routes.map((r) => r.flow.map((m) => m.id)) } : {}),
    ...(onerror ? { onerror: onerror.map((m) => m.id) } : {}),
  };
}

function fieldChanges(before: unknown, after: unknown, path = ''): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => fieldChanges(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path, ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) }];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
