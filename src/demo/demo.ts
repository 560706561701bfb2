/**
 * The demo `npm start` runs: an order-sync scenario whose CRM is down. The run parks the bundle
 * as an incomplete execution (ConnectionError, auto-retry on a demo schedule of seconds); the
 * service recovers, the auto-retry resumes at the failed module and the IE resolves, without
 * running the trigger again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { blueprintSchema } from '../domain';
import type { Store } from '../store';
import type { ImexClient } from '../temporal/client';
import type { FlakyService } from './flaky-service';

export const DEMO_SCENARIO_NAME = 'imex demo: sync an order to a CRM that is down';

/**
 * Runs the demo against `service`, started by the caller before the worker: the worker's egress
 * policy allows exactly that loopback address (docs/security.md#egress-policy).
 */
export async function runDemo(
  deps: { store: Store; imex: ImexClient; orgId: number; apiUrl: string; token: string; service: FlakyService },
  say: (line: string) => void,
): Promise<{ ieId?: string }> {
  const { service } = deps;
  const blueprint = blueprintSchema.parse({
    name: DEMO_SCENARIO_NAME,
    flow: [
      { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} },
      {
        id: 2,
        module: 'http:ActionSendData',
        version: 3,
        parameters: { handleErrors: true },
        mapper: {
          url: service.url,
          method: 'post',
          bodyType: 'raw',
          contentType: 'application/json',
          data: '{"order":"{{1.orderId}}","total":{{1.total}}}',
          parseResponse: true,
        },
      },
    ],
    // A demo schedule of seconds (Make's starts at 1 minute): the auto-retry shows within the demo.
    metadata: { scenario: { dlq: true, imex: { schedule: '3s,10s,30s' } } },
  });
  const existing = (await deps.store.scenarios.list(deps.orgId)).find((s) => s.name === DEMO_SCENARIO_NAME);
  const scenario =
    existing && existing.isActive
      ? ((await deps.store.scenarios.update(deps.orgId, existing.id, { blueprint })) ?? existing)
      : await deps.store.scenarios.create({ orgId: deps.orgId, name: DEMO_SCENARIO_NAME, blueprint });
  say(`Demo: scenario #${scenario.id} "${scenario.name}" (${deps.apiUrl}/scenarios/${scenario.id})`);

  const { executionId } = await deps.imex.startScenarioRun({
    orgId: deps.orgId,
    scenarioId: scenario.id,
    data: { orderId: 'A-1001', total: 42.5 },
  });
  say(`Demo: run ${executionId} started; the CRM answers 503`);
  const result = await deps.imex.scenarioRunResult(executionId);
  const parked = result.parked[0];
  if (!parked?.ieId) {
    say(`Demo: run ended with status ${result.status}${result.error ? `: ${result.error.message}` : ''}`);
    return {};
  }
  say(
    `Demo: run ${executionId} ended with status ${result.status}: module ${parked.failer} failed with ` +
      `${parked.error.type}, stored as incomplete execution ${parked.ieId} (auto-retry on)`,
  );
  say(`Demo: see it with  curl -H "Authorization: Token ${deps.token}" ${deps.apiUrl}/dlqs/${parked.ieId}`);

  const pending = await deps.imex.incompleteExecutionState(parked.ieId);
  say(`Demo: ${parked.ieId} is ${pending?.status ?? 'pending'}; auto-retry due at ${pending?.nextRetryAt ?? 'soon'}`);
  await sleep(1000);
  service.recover();
  say('Demo: the CRM is back up; waiting for the auto-retry');
  for (let i = 0; i < 240; i++) {
    const doc = await deps.store.incompleteExecutions.get(parked.ieId);
    if (doc?.resolved) {
      say(
        `Demo: incomplete execution ${parked.ieId} resolved by auto-retry after ${doc.attempts} attempt(s); ` +
          `the trigger ran once, the CRM got ${service.requests()} requests`,
      );
      break;
    }
    if (doc && !doc.retry && doc.status === 'unresolved') {
      say(`Demo: incomplete execution ${parked.ieId} is unresolved: ${doc.error.type}: ${doc.error.message}`);
      break;
    }
    await sleep(250);
  }
  return { ieId: parked.ieId };
}
