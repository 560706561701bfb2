/** The run's mapping scope: Make's variables and the scenario's zone, the same in workflow and activity. */
import {
  blueprintSchema,
  evaluateMapping,
  mappingEnvironment,
  mappingScopeOf,
  type ScenarioRunInput,
} from '../../../src/domain';

function input(imex?: Record<string, unknown>, resume?: ScenarioRunInput['resume']): ScenarioRunInput {
  return {
    orgId: 3,
    scenarioId: 7,
    scenarioName: 'Orders',
    executionId: 'e'.repeat(32),
    trigger: resume ? 'attempt' : 'manual',
    blueprint: blueprintSchema.parse({
      name: 'Orders',
      flow: [{ id: 1, module: 'gateway:CustomWebHook', version: 1 }],
      metadata: { scenario: imex ? { imex } : {} },
    }),
    ...(resume ? { resume } : {}),
  };
}

describe('mappingScopeOf', () => {
  it("offers Make's system variables and executionId", () => {
    const env = mappingEnvironment(mappingScopeOf(input()), 'seed', { now: 0 });
    expect(
      evaluateMapping(
        { s: '{{var.scenario.id}}:{{var.scenario.name}}', e: '{{executionId}}', o: '{{var.organization.id}}' },
        {},
        env,
      ),
    ).toEqual({ s: '7:Orders', e: 'e'.repeat(32), o: 3 });
  });

  it("an attempt's execution is its own, and names the incomplete execution", () => {
    const resume = {
      ieId: 'i'.repeat(32),
      failer: 2,
      context: {},
      originalExecutionId: 'o'.repeat(32),
      bundleIndex: 0,
    };
    expect(mappingScopeOf(input(undefined, resume)).variables.execution).toEqual({
      id: 'e'.repeat(32),
      incompleteExecutionId: 'i'.repeat(32),
    });
  });

  it("takes the scenario's zone (validated as IANA) for dates, UTC otherwise", () => {
    const prague = mappingEnvironment(mappingScopeOf(input({ timezone: 'Europe/Prague' })), 's', { now: 0 });
    expect(evaluateMapping('{{formatDate(now; "HH:mm")}}', {}, prague)).toBe('01:00');
    expect(
      evaluateMapping('{{formatDate(now; "HH:mm")}}', {}, mappingEnvironment(mappingScopeOf(input()), 's', { now: 0 })),
    ).toBe('00:00');
    expect(() => input({ timezone: 'Mars/Olympus' })).toThrow(/not an IANA time zone/);
  });

  it('the same seed gives the same uuid: a replay, a retry and an attempt map alike', () => {
    const scope = mappingScopeOf(input());
    const once = evaluateMapping('{{uuid}}', {}, mappingEnvironment(scope, 'exec:2:0'));
    expect(evaluateMapping('{{uuid}}', {}, mappingEnvironment(scope, 'exec:2:0'))).toBe(once);
    expect(evaluateMapping('{{uuid}}', {}, mappingEnvironment(scope, 'exec:2:1'))).not.toBe(once);
  });
});
