/** Waiting on a scenario's document in the store: deactivated by its runs' errors. */
import { waitFor } from '../../src/stack/wait';
import type { Scenario, Store } from '../../src/store';

/** The scenario once it is inactive (its `deactivationReason` says why). */
export function waitForDeactivation(
  store: Store,
  orgId: number,
  scenarioId: number,
  timeoutMs = 30_000,
): Promise<Scenario> {
  return waitFor(
    `scenario ${scenarioId} to be deactivated`,
    async () => {
      const scenario = await store.scenarios.get(orgId, scenarioId);
      return scenario && !scenario.isActive ? scenario : undefined;
    },
    { timeoutMs },
  );
}
