/**
 * The blueprints the bench runs, and the bare workflow's equivalent of the 5-module one.
 *
 * - `fiveModules`: a webhook trigger and four `util:SetVariable2`, each mapping from the one
 *   before; storing of incomplete executions on (it only matters on failure), not sequential.
 * - `parking`: a webhook trigger, a variable, and `json:ParseJSON` of text that is not JSON: a
 *   DataError, parked without auto-retry (`unresolved`), so parked IEs stay idle until asked.
 */
import { blueprintSchema, validateBlueprint, type Blueprint, type ModuleLookup } from '../src/domain';
import type { BareScenarioInput } from './bare-workflows';

const webhook = { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} };

/** The four cheap steps after the trigger, shared by the imex blueprint and the bare workflow. */
export const fiveModuleSteps = [
  { id: 2, mapper: { name: 'customer', scope: 'roundtrip', value: '{{1.name}}' } },
  { id: 3, mapper: { name: 'greeting', scope: 'roundtrip', value: 'Hello {{2.customer}} #{{1.order}}' } },
  { id: 4, mapper: { name: 'total', scope: 'roundtrip', value: '{{1.total}}' } },
  { id: 5, mapper: { name: 'summary', scope: 'roundtrip', value: '{{3.greeting}}: {{4.total}} EUR' } },
];

/** The run's input data: the webhook's payload. */
export function runData(i: number): Record<string, unknown> {
  return { name: `Customer ${i}`, order: 1000 + i, total: 42.5 };
}

function settings(extra: Record<string, unknown> = {}) {
  return { scenario: { dlq: true, sequential: false, ...extra } };
}

export function fiveModuleBlueprint(options: { sequential?: boolean } = {}): Blueprint {
  return blueprintSchema.parse({
    name: options.sequential ? 'bench: 5 modules, sequential' : 'bench: 5 modules',
    flow: [
      webhook,
      ...fiveModuleSteps.map((s) => ({
        id: s.id,
        module: 'util:SetVariable2',
        version: 1,
        parameters: {},
        mapper: s.mapper,
      })),
    ],
    metadata: settings({ sequential: options.sequential ?? false }),
  });
}

export function bareScenarioInput(i: number): BareScenarioInput {
  return { data: runData(i), steps: fiveModuleSteps };
}

/** The failing module of the parking scenario. */
export const PARKING_FAILER = 3;

export function parkingBlueprint(): Blueprint {
  return blueprintSchema.parse({
    name: 'bench: parks at module 3',
    flow: [
      webhook,
      { id: 2, module: 'util:SetVariable2', version: 1, parameters: {}, mapper: { name: 'text', value: '{{1.text}}' } },
      { id: PARKING_FAILER, module: 'json:ParseJSON', version: 1, parameters: {}, mapper: { json: '{{2.text}}' } },
    ],
    metadata: settings(),
  });
}

export function parkingData(i: number): Record<string, unknown> {
  return { text: `not JSON #${i}` };
}

/** Refuses to measure a blueprint imex would reject. */
export function assertValid(blueprint: Blueprint, modules: ModuleLookup): Blueprint {
  const result = validateBlueprint(blueprint, modules);
  if (!result.ok) throw new Error(`bench blueprint "${blueprint.name}" is invalid: ${JSON.stringify(result.errors)}`);
  return blueprint;
}
