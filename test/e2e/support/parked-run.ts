/** A run that parks an IE with `email` in its input (a 400 from the scripted service): the data a codec test looks for. */
import { runWorkflowId } from '../../../src/domain';
import { webhookTrigger } from '../../helpers/blueprints';
import type { ImexHarness } from '../../helpers/imex-harness';
import type { ScriptedHttpServer } from '../../helpers/scripted-http-server';

export async function parkRunWithEmail(
  harness: ImexHarness,
  http: ScriptedHttpServer,
  urlPath: string,
  email: string,
): Promise<string> {
  http.script(urlPath, { status: 400 });
  const scenarioId = await harness.createScenario({
    name: `parks at ${urlPath}`,
    flow: [webhookTrigger, http.httpModule(2, urlPath, { data: '{"email":"{{1.email}}"}' })],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { email } });
  const { parked } = await harness.imex.scenarioRunResult(executionId);
  if (parked.length !== 1) throw new Error(`expected one parked bundle, got ${parked.length}`);
  return runWorkflowId(executionId);
}
