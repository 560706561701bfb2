/**
 * What running a module again does outside imex's workflow, for the plan of a retry
 * (src/domain/retry-plan.ts): whether it calls a service (or writes a data store), and whether a
 * second run with the same input does no more than the first. Built-ins are known here; a module
 * type this file does not know (a user's) is taken to call a service and not to be idempotent,
 * so the plan warns rather than reassures.
 */
import type { BlueprintModule, ModuleEffects } from '../domain';

/** Modules that compute from their input only, or only read: running them again changes nothing. */
const LOCAL = new Set([
  'gateway:CustomWebHook',
  'builtin:BasicFeeder',
  'json:ParseJSON',
  'util:SetVariable2',
  'datastore:GetRecord',
  'datastore:ExistRecord',
  'datastore:SearchRecord',
  'datastore:CountRecords',
]);

/** Data-store writes that land on the same state when repeated. */
const IDEMPOTENT_WRITES = new Set(['datastore:UpdateRecord', 'datastore:DeleteRecord', 'datastore:DeleteAllRecords']);

/** HTTP methods that are idempotent by RFC 9110 §9.2.2. */
const IDEMPOTENT_METHODS = new Set(['get', 'head', 'put', 'delete', 'options']);

export function moduleEffects(module: BlueprintModule): ModuleEffects {
  if (LOCAL.has(module.module)) return { callsService: false, idempotent: true };
  if (IDEMPOTENT_WRITES.has(module.module)) return { callsService: true, idempotent: true };
  if (module.module === 'datastore:AddRecord') {
    // A blank key is made from the operation's idempotency key, new in each run: a second record.
    const key = module.mapper.key;
    const overwrite = module.mapper.overwrite === true || module.mapper.overwrite === 'true';
    return { callsService: true, idempotent: typeof key === 'string' && key.trim() !== '' && overwrite };
  }
  if (module.module === 'http:ActionSendData') {
    const method = module.mapper.method ?? 'get';
    // A mapped method is known only at run time.
    return {
      callsService: true,
      idempotent: typeof method === 'string' && IDEMPOTENT_METHODS.has(method.toLowerCase()),
    };
  }
  return { callsService: true, idempotent: false };
}
