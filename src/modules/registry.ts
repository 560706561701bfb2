/**
 * The module registry: the module types a worker can run. It is the lookup that blueprint
 * validation uses, so a blueprint is accepted exactly when its modules are registered.
 */
import type { ModuleLookup } from '../domain';
import { EgressPolicy } from '../egress/egress-policy';
import type { AnyModuleDefinition, ModuleDefinition } from './contract';
import { builtinBasicAggregator } from './builtin-basic-aggregator';
import { builtinBasicFeeder } from './builtin-basic-feeder';
import { builtinBasicRepeater } from './builtin-basic-repeater';
import {
  datastoreAddRecord,
  datastoreDeleteRecord,
  datastoreExistRecord,
  datastoreGetRecord,
  datastoreUpdateRecord,
} from './datastore-records';
import { datastoreCountRecords, datastoreDeleteAllRecords, datastoreSearchRecord } from './datastore-queries';
import { createEmailActionSendEmail, type EmailModuleOptions } from './email-action-send-email';
import { gatewayCustomWebHook } from './gateway-custom-webhook';
import { gatewayWebhookRespond } from './gateway-webhook-respond';
import { createHttpActionSendData, type HttpModuleOptions } from './http-action-send-data';
import { jsonAggregateToJson } from './json-aggregate-to-json';
import { createHttpActionGetFile } from './http-action-get-file';
import { createHttpActionSendDataApiKeyAuth, createHttpActionSendDataBasicAuth } from './http-action-send-data-auth';
import { jsonCreateJson, jsonTransformToJson } from './json-create-json';
import { jsonParseJson } from './json-parse-json';
import { regexpParser } from './regexp-parser';
import { regexpReplace } from './regexp-replace';
import { utilSetVariable2 } from './util-set-variable2';
import { utilTextAggregator } from './util-text-aggregator';
import { utilComposeTransformer } from './util-compose-transformer';
import { utilSetVariables } from './util-set-variables';
import { utilSwitcher } from './util-switcher';
import { utilFunctionSleep } from './util-function-sleep';
import { utilFunctionIncrement } from './util-function-increment';
import { utilGetVariable2, utilGetVariables } from './util-get-variables';

/** Make's `app:ModuleName`: a lower-case app name (may hold digits and dashes), a module name. */
const moduleTypePattern = /^[a-z][a-z0-9-]*:[A-Za-z][A-Za-z0-9_]*$/;

export class ModuleRegistry implements ModuleLookup {
  private readonly definitions = new Map<string, AnyModuleDefinition>();

  register<P, M>(definition: ModuleDefinition<P, M>): this {
    const type = definition.type;
    if (!moduleTypePattern.test(type)) {
      throw new Error(`module type "${type}" must look like app:ModuleName (e.g. http:ActionSendData)`);
    }
    if (this.definitions.has(type)) throw new Error(`module type "${type}" is already registered`);
    if ((typeof definition.run === 'function') === (typeof definition.aggregate === 'function')) {
      throw new Error(`module type "${type}" needs either a run function or (an aggregator) an aggregate function`);
    }
    if (
      typeof definition.parametersSchema?.safeParse !== 'function' ||
      typeof definition.mapperSchema?.safeParse !== 'function'
    ) {
      throw new Error(`module type "${type}" needs zod parametersSchema and mapperSchema`);
    }
    this.definitions.set(type, definition as unknown as AnyModuleDefinition);
    return this;
  }

  get(type: string): AnyModuleDefinition | undefined {
    return this.definitions.get(type);
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  list(): AnyModuleDefinition[] {
    return [...this.definitions.values()];
  }
}

export interface DefaultRegistryOptions {
  http?: HttpModuleOptions;
  /** SMTP connections and the sent log of `email:ActionSendEmail`. */
  email?: EmailModuleOptions;
}

/** A registry holding imex's built-in modules; register your own on top. */
export function createDefaultRegistry(options: DefaultRegistryOptions = {}): ModuleRegistry {
  // One policy (and one connection pool) for every HTTP module.
  const http = { ...options.http, egress: options.http?.egress ?? new EgressPolicy() };
  return new ModuleRegistry()
    .register(gatewayCustomWebHook)
    .register(gatewayWebhookRespond)
    .register(createHttpActionSendData(http))
    .register(createHttpActionSendDataBasicAuth(http))
    .register(createHttpActionSendDataApiKeyAuth(http))
    .register(createHttpActionGetFile(http))
    .register(jsonParseJson)
    .register(jsonCreateJson)
    .register(jsonTransformToJson)
    .register(regexpParser)
    .register(regexpReplace)
    .register(utilSetVariable2)
    .register(builtinBasicFeeder)
    .register(createEmailActionSendEmail(options.email))
    .register(builtinBasicAggregator)
    .register(utilTextAggregator)
    .register(jsonAggregateToJson)
    .register(builtinBasicRepeater)
    .register(utilSetVariables)
    .register(utilSwitcher)
    .register(utilComposeTransformer)
    .register(utilFunctionSleep)
    .register(utilGetVariable2)
    .register(utilGetVariables)
    .register(utilFunctionIncrement)
    .register(datastoreAddRecord)
    .register(datastoreGetRecord)
    .register(datastoreUpdateRecord)
    .register(datastoreDeleteRecord)
    .register(datastoreExistRecord)
    .register(datastoreSearchRecord)
    .register(datastoreCountRecords)
    .register(datastoreDeleteAllRecords);
}
