/**
 * Modules: the contract every module type follows, the registry a worker runs from, and the
 * built-ins (Make's names and fields):
 *
 * - `gateway:CustomWebHook`: the trigger; the run's input data becomes its bundles;
 *   `gateway:WebhookRespond`: the answer its caller gets;
 * - `http:ActionSendData` v3: real HTTP requests, failures classified as Make's categories;
 * - `email:ActionSendEmail` v7: e-mail over the deployment's SMTP connections;
 * - `json:ParseJSON`, `util:SetVariable2`, `builtin:BasicFeeder` (Iterator);
 * - aggregators `builtin:BasicAggregator`, `util:TextAggregator`, `json:AggregateToJSON`: each
 *   has `aggregate` instead of `run` and runs through `invokeAggregator` over its scope;
 * - tools `builtin:BasicRepeater`, `util:SetVariables`, `util:Switcher`, `util:ComposeTransformer`,
 *   `util:FunctionSleep` (a workflow timer in a run), `util:GetVariable2`, `util:GetVariables`,
 *   `util:FunctionIncrement` (the run's variables and counts: src/domain/run-variables.ts);
 *   `http:ActionSendDataBasicAuth` and `http:ActionSendDataAPIKeyAuth` with a connection's credentials;
 *   `http:ActionGetFile` (the bytes as Buffer JSON);
 * - `json:ParseJSON`, `json:CreateJSON`, `json:TransformToJSON`, `util:SetVariable2`,
 *   `builtin:BasicFeeder` (Iterator);
 * - `regexp:Parser` (match pattern) and `regexp:Replace`: Make's text parser;
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
export * from './invoke-aggregator';
export * from './registry';
export { gatewayCustomWebHook, bundleFromValue } from './gateway-custom-webhook';
export { gatewayWebhookRespond } from './gateway-webhook-respond';
export {
  createHttpActionSendData,
  httpActionSendData,
  httpMapperSchema,
  httpParametersSchema,
  defaultMaxResponseBytes,
  type HttpModuleOptions,
  type HttpMapper,
} from './http-action-send-data';
export * from './connection-access';
export { createHttpActionGetFile, fileNameOf } from './http-action-get-file';
export { createHttpActionSendDataApiKeyAuth, createHttpActionSendDataBasicAuth } from './http-action-send-data-auth';
export { categoryForStatus, isErrorStatus, parseRetryAfter } from './http-status';
export {
  createEmailActionSendEmail,
  emailMapperSchema,
  emailParametersSchema,
  messageIdFor,
  type EmailModuleOptions,
  type EmailSentLog,
} from './email-action-send-email';
export * from './smtp-connections';
export { classifySmtpError, smtpErrorCategory } from './smtp-errors';
export { jsonParseJson } from './json-parse-json';
export { jsonCreateJson, jsonTransformToJson } from './json-create-json';
export { regexpParser } from './regexp-parser';
export { regexpReplace } from './regexp-replace';
export { utilSetVariable2 } from './util-set-variable2';
export { builtinBasicFeeder } from './builtin-basic-feeder';
export { builtinBasicAggregator } from './builtin-basic-aggregator';
export { utilTextAggregator } from './util-text-aggregator';
export { jsonAggregateToJson } from './json-aggregate-to-json';
export { builtinBasicRepeater } from './builtin-basic-repeater';
export { utilSetVariables } from './util-set-variables';
export { utilSwitcher } from './util-switcher';
export { utilComposeTransformer } from './util-compose-transformer';
export { utilFunctionSleep } from './util-function-sleep';
export { utilGetVariable2, utilGetVariables } from './util-get-variables';
export { utilFunctionIncrement } from './util-function-increment';
export * from './data-store-access';
export {
  datastoreAddRecord,
  datastoreDeleteRecord,
  datastoreExistRecord,
  datastoreGetRecord,
  datastoreUpdateRecord,
} from './datastore-records';
export { datastoreCountRecords, datastoreDeleteAllRecords, datastoreSearchRecord } from './datastore-queries';
