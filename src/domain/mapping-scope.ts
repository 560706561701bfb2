/**
 * What a run's mappings may read besides bundles: the scenario's time zone and Make's system
 * variables (`var.scenario.*`, `var.execution.*`, `var.organization.*`, `executionId`). The
 * workflow builds it once per run and hands it to every evaluation, in the workflow and in the
 * module activity alike, so both see the same values.
 */
import { createImlEnvironment, type ImlEnvironment, type ImlEnvironmentOptions } from './mapping';
import type { ScenarioRunInput } from './run';

export interface MappingScope {
  /** IANA zone (`metadata.scenario.imex.timezone`); UTC when absent. */
  timezone?: string;
  variables: Record<string, unknown>;
}

export function mappingScopeOf(input: ScenarioRunInput): MappingScope {
  const timezone = input.blueprint.metadata.scenario.imex?.timezone;
  const execution = { id: input.executionId, ...(input.resume ? { incompleteExecutionId: input.resume.ieId } : {}) };
  return {
    ...(timezone ? { timezone } : {}),
    variables: {
      scenario: { id: input.scenarioId, name: input.scenarioName, executionId: input.executionId },
      execution,
      organization: { id: input.orgId },
      team: { id: input.orgId },
    },
  };
}

/**
 * An evaluation environment for one place in a run: `seed` names the place (execution, module,
 * bundle), so `random`, `uuid` and `shuffle` give the same values each time it is evaluated.
 */
export function mappingEnvironment(
  scope: MappingScope | undefined,
  seed: string,
  extra: Pick<ImlEnvironmentOptions, 'now' | 'digest'> = {},
): ImlEnvironment {
  return createImlEnvironment({
    seed,
    ...(scope?.timezone ? { timezone: scope.timezone } : {}),
    variables: scope?.variables ?? {},
    ...extra,
  });
}
