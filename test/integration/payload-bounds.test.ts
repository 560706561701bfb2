/**
 * No payload imex hands to Temporal carries more than INLINE_PAYLOAD_MAX_BYTES, whatever the
 * data: a run whose context grows past it module by module parks, its IE is attempted, the
 * attempt fails, and a stored context far over the bound is attempted too. The proof is read
 * from the workflows' histories on the real server.
 */
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { terminateOpenWorkflows } from '../helpers/workflow-cleanup';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { webhookTrigger } from '../helpers/blueprints';
import { waitForIeDocument } from '../helpers/ie-waits';
import { INLINE_PAYLOAD_MAX_BYTES } from '../../activities/bundle-refs';
import type { BundleContext } from '../../src/domain';

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { schedule: [60 * 60_000] });
  http = await new ScriptedHttpServer().start();
  http.script('/bad', { status: 422 });
  // Each answer is a bundle just under the 64 KiB a bundle may have inline.
  http.script('/big', { status: 200, body: { data: 'x'.repeat(60_000) } });
});

afterAll(async () => {
  if (imex) await terminateOpenWorkflows(env.client, imex.taskQueue);
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

interface PayloadSeen {
  workflowId: string;
  eventType: string;
  bytes: number;
}

/** Every payload in a value of a history event (proto objects: `{ metadata, data: Uint8Array }`). */
function payloadSizes(value: unknown, found: number[] = []): number[] {
  if (value === null || typeof value !== 'object') return found;
  const candidate = value as { data?: unknown; metadata?: unknown };
  if (candidate.data instanceof Uint8Array && candidate.metadata !== undefined) {
    found.push(candidate.data.byteLength);
    return found;
  }
  if (value instanceof Uint8Array) return found;
  for (const child of Object.values(value)) payloadSizes(child, found);
  return found;
}

async function payloadsOnTaskQueue(): Promise<PayloadSeen[]> {
  const seen: PayloadSeen[] = [];
  for await (const wf of env.client.workflow.list({ query: `TaskQueue = '${imex.taskQueue}'` })) {
    const history = await env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    for (const event of history.events ?? []) {
      for (const bytes of payloadSizes(event)) {
        seen.push({ workflowId: wf.workflowId, eventType: String(event.eventType), bytes });
      }
    }
  }
  return seen;
}

test('park, attempt and failed attempt keep every payload under the bound, however large the bundles', async () => {
  const bigModules = Array.from({ length: 10 }, (_, i) => http.httpModule(i + 2, '/big'));
  const scenarioId = await imex.createScenario({
    name: 'large context',
    flow: [webhookTrigger, ...bigModules, http.httpModule(12, '/bad', { data: '{{11.data.data}}' })],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: { n: 1 } });
  const result = await imex.imex.scenarioRunResult(executionId);
  const ieId = result.parked[0]?.ieId as string;
  expect(ieId).toBeDefined();
  await waitForIeDocument(imex.store, ieId, 'parked', (d) => d.status === 'unresolved');

  // An attempt that fails again at the same module (its result carries the context back).
  await imex.imex.requestIncompleteExecution(ieId, 'retry');
  await waitForIeDocument(imex.store, ieId, 'first attempt over', (d) => d.attempts === 1 && d.status === 'unresolved');

  // A stored context far over the bound (many inline bundles, as an edit or an older version may leave).
  const context: BundleContext = {};
  for (let id = 1; id <= 11; id++) context[String(id)] = { data: { data: String(id).padEnd(63_000, 'y') } };
  await imex.store.incompleteExecutions.patch(ieId, { context });
  await imex.imex.requestIncompleteExecution(ieId, 'retry');
  await waitForIeDocument(
    imex.store,
    ieId,
    'second attempt over',
    (d) => d.attempts === 2 && d.status === 'unresolved',
  );
  expect(http.count('/bad')).toBe(3);
  // The edited bundles reached the failed module: the attempt mapped from them.
  expect(http.requestsTo('/bad')[2]?.body).toBe('11'.padEnd(63_000, 'y'));

  const seen = await payloadsOnTaskQueue();
  const largest = seen.reduce((max, p) => (p.bytes > max.bytes ? p : max), seen[0] as PayloadSeen);
  // Large data did travel inline, up to the bound and no further.
  expect(largest.bytes).toBeGreaterThan(150_000);
  expect(seen.filter((p) => p.bytes > INLINE_PAYLOAD_MAX_BYTES)).toEqual([]);
  // The run, its IE and both attempts were looked at.
  expect(new Set(seen.map((p) => p.workflowId.split('-')[0])).size).toBeGreaterThanOrEqual(2);
});
