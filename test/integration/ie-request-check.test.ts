/**
 * The IE workflow checks the requests it takes without zod (incomplete-execution-requests.ts): a
 * signal with bad input is refused with the schema's reason and changes nothing; an update with
 * bad input is rejected before it is accepted; a blueprint sent as JSON text is stored as Make's
 * blueprint schema parses it (the patch activity parses what the workflow passes on).
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { waitFor } from '../../src/stack/wait';
import { blueprintSchema, ieWorkflowId, makeRetrySchedule } from '../../src/domain';
import type { IncompleteExecutionDocument } from '../../src/store';
import { webhookTrigger } from '../helpers/blueprints';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: makeRetrySchedule });
  http = await new ScriptedHttpServer().start();
  http.script('/down', { status: 503 });
});

afterAll(async () => {
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

const rawBlueprint = (name: string) => ({
  name,
  flow: [webhookTrigger, http.httpModule(2, '/down', { method: 'get' })],
  metadata: { scenario: { dlq: true } },
});

async function parkOne(): Promise<string> {
  const blueprint = blueprintSchema.parse(rawBlueprint('request check'));
  const scenario = await imex.store.scenarios.create({ orgId: imex.orgId, name: 'request check', blueprint });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId: scenario.id });
  const result = await imex.imex.scenarioRunResult(executionId);
  return result.parked[0]?.ieId as string;
}

async function doc(ieId: string) {
  return (await imex.store.incompleteExecutions.get(ieId)) as IncompleteExecutionDocument;
}

test('a signal with bad input is refused with the reason and path, and changes nothing', async () => {
  const ieId = await parkOne();
  const before = await doc(ieId);
  const handle = env.client.workflow.getHandle(ieWorkflowId(ieId));
  const bad: [unknown, string][] = [
    [{ blueprint: '{"flow":[]}' }, 'blueprint.flow: a scenario needs at least one module (its trigger)'],
    [
      { bundles: { a: { value: {} }, '2': { value: [1] } } },
      'bundles.2.value: must be a JSON object: the bundle a module outputs (null, arrays and other values are refused); ' +
        'bundles.a: Invalid key in record',
    ],
    [{ failer: 0, extra: true }, 'failer: Too small: expected number to be >0; request: Unrecognized key: "extra"'],
  ];
  for (const [request, reason] of bad) {
    await handle.signal('patch', request);
    const state = await waitFor(
      `the rejection of ${JSON.stringify(request)}`,
      async () => {
        const current = await imex.imex.incompleteExecutionState(ieId);
        return current?.lastRejection?.reason === reason ? current : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(state.lastRejection).toEqual({ request: 'patch', reason });
  }
  await handle.signal('retry', { reason: 5 });
  // The state shows a rejection before the activity records it in the document: wait for the document.
  const after = await waitFor(
    'the retry refused',
    async () => {
      const current = await doc(ieId);
      return current.rejections?.at(-1)?.request === 'retry' ? current : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(after.rejections?.at(-1)?.reason).toBe('reason: Invalid input: expected string, received number');
  expect({
    blueprint: after.blueprint,
    context: after.context,
    failer: after.failer,
    attempts: after.attempts,
  }).toEqual({
    blueprint: before.blueprint,
    context: before.context,
    failer: before.failer,
    attempts: before.attempts,
  });
  expect((await imex.store.ieChanges.page(ieId, 0, 10)).total).toBe(0);
});

test('an update with bad input is rejected with the reason; a blueprint sent as JSON text is stored parsed', async () => {
  const ieId = await parkOne();
  const handle = env.client.workflow.getHandle(ieWorkflowId(ieId));
  const refused = await handle.executeUpdate('patch', { args: [{ blueprint: 'nope' }] }).then(
    () => undefined,
    (err: unknown) => err as Error & { cause?: Error },
  );
  expect(refused?.cause?.message).toBe('blueprint: Invalid input: expected object, received string');
  const text = JSON.stringify(rawBlueprint('patched as text'));
  await handle.executeUpdate('patch', { args: [{ requestId: 'as-text', blueprint: text }] });
  const stored = JSON.parse((await doc(ieId)).blueprint as string) as unknown;
  expect(stored).toEqual(blueprintSchema.parse(JSON.parse(text)));
});
