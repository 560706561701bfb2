/**
 * The module contract: what a module type is, for built-ins and users alike.
 *
 * A module declares its static `parameters` and its mapped `mapper` fields as zod schemas, and
 * a `run` that turns one input bundle into zero or more output bundles. Failures are thrown as
 * `ModuleError` with Make's category; anything else thrown is classified by `classify`, then by
 * the default classifier (see classify.ts). See docs/modules.md for a complete example.
 */
import type { z } from 'zod';
import type { ModuleError } from '../domain';
import type { ConnectionAccess } from './connection-access';
import type { DataStoreAccess } from './data-store-access';

/** One output bundle: a plain JSON object, as Make's. */
export type OutputBundle = Record<string, unknown>;

/** Where this operation sits: which run, which module, which input bundle, which try. */
export interface ModuleExecution {
  executionId: string;
  moduleId: number;
  /** 0-based index of the input bundle this operation processes. */
  bundleIndex: number;
  /** 1-based, like Temporal's `activityInfo().attempt`. */
  attempt: number;
}

export interface ModuleRunContext<P, M> {
  /** Static configuration, parsed by `parametersSchema` (defaults applied). */
  parameters: P;
  /** The mapper after `{{…}}` mappings were evaluated, parsed by `mapperSchema`. */
  mapper: M;
  execution: ModuleExecution;
  /** Aborted when the operation is cancelled (the activity was cancelled or timed out). */
  signal: AbortSignal;
  /** Same for every retry of the same execution, module and bundle: give it to services that dedupe. */
  idempotencyKey: string;
  /** The run's input data; set for the trigger (the first module) only. */
  input?: unknown;
  /** The organization's data stores, as this run sees them (the `datastore:` modules use it). */
  dataStores?: DataStoreAccess;
  /** What the run remembers (src/domain/run-variables.ts): given to the modules that read it. */
  runState?: ModuleRunState;
  /** The organization's connections (secrets by id), for the modules that name one. */
  connections?: ConnectionAccess;
  /** Records this run's answer to its webhook's caller (`gateway:WebhookRespond`). */
  webhookResponses?: WebhookResponder;
}

export interface WebhookResponder {
  respond(response: { status: number; headers: { key: string; value: string }[]; body: string }): Promise<void>;
}

/** The run's variables so far (Get variable modules) and this Increment's last count (0: none). */
export interface ModuleRunState {
  variables?: Readonly<Record<string, unknown>>;
  lastCount?: number;
}

export interface ModuleDefinition<P = unknown, M = unknown> {
  /** `app:ModuleName`, as in blueprints, e.g. `http:ActionSendData`. */
  type: string;
  title: string;
  /** Versions implemented; blueprints naming another version are rejected. Any when absent. */
  versions?: readonly number[];
  /** A trigger turns the run's input into the first bundles; it must be the first module. */
  trigger?: boolean;
  parametersSchema: z.ZodType<P>;
  mapperSchema: z.ZodType<M>;
  /** One input bundle in, its output bundles out. Every module but an aggregator has it. */
  run?(context: ModuleRunContext<P, M>): Promise<OutputBundle[]>;
  /**
   * An aggregator (docs/modules.md, "Aggregators") has this instead of `run`: one group of mapped
   * items in (each item is the mapper evaluated on one collected bundle, parsed by `mapperSchema`),
   * its one output bundle out. The engine adds the group's key and length fields.
   */
  aggregate?(context: AggregateRunContext<P, M>): OutputBundle;
  /** Categorise what `run` threw; return undefined to fall back to the default classifier. */
  classify?(error: unknown): ModuleError | undefined;
}

export interface AggregateRunContext<P, M> {
  parameters: P;
  items: M[];
  execution: ModuleExecution;
}

/** A module definition with its types erased, as the registry holds them. */
export type AnyModuleDefinition = ModuleDefinition<unknown, unknown>;

/** Identity helper that infers `P` and `M` from the schemas, for typed `run` contexts. */
export function defineModule<P, M>(definition: ModuleDefinition<P, M>): ModuleDefinition<P, M> {
  return definition;
}
