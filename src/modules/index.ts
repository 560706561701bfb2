/**
 * Modules: the contract every module type follows, the registry a worker runs from, and the
 * built-ins (Make's names and fields):
 *
 * - `gateway:CustomWebHook`: the trigger; the run's input data becomes its bundles;
 * - `http:ActionSendData` v3: real HTTP requests, failures classified as Make's categories;
 * - `json:ParseJSON`, `util:SetVariable2`, `builtin:BasicFeeder` (Iterator);
 * - `datastore:AddRecord`, `GetRecord`, `UpdateRecord`, `DeleteRecord`, `ExistRecord`,
 *   `SearchRecord`, `CountRecords`, `DeleteAllRecords`: Make's data stores, transactional
 *   (docs/data-stores.md).
 *
 * Register your own with `createDefaultRegistry().register(defineModule({...}))`; see
 * docs/modules.md. This is the only code that talks to third-party services.
 */
export * from './contract';
export * from './classify';
export * from './idempotency';
export * from './effects';
export * from './invoke';
export * from './registry';
export { gatewayCustomWebHook, bundleFromValue } from './gateway-custom-webhook';
export {
  createHttpActionSendData,
  httpActionSendData,
  httpMapperSchema,
  httpParametersSchema,
  defaultMaxResponseBytes,
  type HttpModuleOptions,
  type HttpMapper,
} from './http-action-send-data';
export { categoryForStatus, isErrorStatus, parseRetryAfter } from './http-status';
export { jsonParseJson } from './json-parse-json';
export { utilSetVariable2 } from './util-set-variable2';
export { builtinBasicFeeder } from './builtin-basic-feeder';
export * from './data-store-access';
export {
  datastoreAddRecord,
  datastoreDeleteRecord,
  datastoreExistRecord,
  datastoreGetRecord,
  datastoreUpdateRecord,
} from './datastore-records';
export { datastoreCountRecords, datastoreDeleteAllRecords, datastoreSearchRecord } from './datastore-queries';
