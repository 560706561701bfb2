/**
 * Make's blueprint (DESIGN.md §6), as types for the code that reads it (workflows included); the
 * zod schema that parses one, with Make's defaults, is schemas/blueprint.ts.
 */
import type { z } from 'zod';
import type { Filter } from './filter';
import type { blueprintSchema, scenarioImexSchema, scenarioSettingsSchema } from './schemas/blueprint';

export interface BlueprintRoute {
  flow: BlueprintModule[];
  [key: string]: unknown;
}

/** A module of the flow, of a router's route or of an error-handler route. */
export interface BlueprintModule {
  id: number;
  module: string;
  version: number;
  parameters: Record<string, unknown>;
  mapper: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  filter?: Filter;
  onerror?: BlueprintModule[];
  routes?: BlueprintRoute[];
  [key: string]: unknown;
}

export type ScenarioImexSettings = z.output<typeof scenarioImexSchema>;
export type Blueprint = z.output<typeof blueprintSchema>;
export type BlueprintInput = z.input<typeof blueprintSchema>;
export type ScenarioSettings = z.output<typeof scenarioSettingsSchema>;

/**
 * Make's export wraps the blueprint: `{ blueprint: {…}, scheduling: {…}, … }`, and its API
 * sends blueprints as JSON text. Returns the blueprint itself, unchanged otherwise.
 */
export function unwrapBlueprintExport(input: unknown): unknown {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return input;
    }
  }
  if (isPlainObject(value) && !('flow' in value) && 'blueprint' in value) {
    return typeof value.blueprint === 'string' ? unwrapBlueprintExport(value.blueprint) : value.blueprint;
  }
  return value;
}

/** The `scheduling` of a Make export (`{ blueprint, scheduling, … }`, or its JSON text), if it has one. */
export function exportSchedulingOf(input: unknown): unknown {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  if (isPlainObject(value) && !('flow' in value) && 'blueprint' in value) return value.scheduling ?? undefined;
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
