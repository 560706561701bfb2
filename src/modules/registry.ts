/**
 * The module registry: the module types a worker can run. It is the lookup that blueprint
 * validation uses, so a blueprint is accepted exactly when its modules are registered.
 */
import type { ModuleLookup } from '../domain';
import type { AnyModuleDefinition, ModuleDefinition } from './contract';
import { builtinBasicFeeder } from './builtin-basic-feeder';
import {
  datastoreAddRecord,
  datastoreDeleteRecord,
  datastoreExistRecord,
  datastoreGetRecord,
  datastoreUpdateRecord,
} from './datastore-records';
import { datastoreCountRecords, datastoreDeleteAllRecords, datastoreSearchRecord } from './datastore-queries';
import { gatewayCustomWebHook } from './gateway-custom-webhook';
import { gatewayWebhookRespond } from './gateway-webhook-respond';
import { createHttpActionSendData, type HttpModuleOptions } from './http-action-send-data';
import { createHttpActionGetFile } from './http-action-get-file';
import { createHttpActionSendDataApiKeyAuth, createHttpActionSendDataBasicAuth } from './http-action-send-data-auth';
import { jsonCreateJson, jsonTransformToJson } from './json-create-json';
import { jsonParseJson } from './json-parse-json';
import { regexpParser } from './regexp-parser';
import { regexpReplace } from './regexp-replace';
import { utilSetVariable2 } from './util-set-variable2';

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
    if (typeof definition.run !== 'function') throw new Error(`module type "${type}" has no run function`);
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
}

/** A registry holding imex's built-in modules; register your own on top. */
export function createDefaultRegistry(options: DefaultRegistryOptions = {}): ModuleRegistry {
  return new ModuleRegistry()
    .register(gatewayCustomWebHook)
    .register(gatewayWebhookRespond)
    .register(createHttpActionSendData(options.http))
    .register(createHttpActionSendDataBasicAuth(options.http))
    .register(createHttpActionSendDataApiKeyAuth(options.http))
    .register(createHttpActionGetFile(options.http))
    .register(jsonParseJson)
    .register(jsonCreateJson)
    .register(jsonTransformToJson)
    .register(regexpParser)
    .register(regexpReplace)
    .register(utilSetVariable2)
    .register(builtinBasicFeeder)
    .register(datastoreAddRecord)
    .register(datastoreGetRecord)
    .register(datastoreUpdateRecord)
    .register(datastoreDeleteRecord)
    .register(datastoreExistRecord)
    .register(datastoreSearchRecord)
    .register(datastoreCountRecords)
    .register(datastoreDeleteAllRecords);
}
