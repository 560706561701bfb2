/**
 * `imex ie retry|delete --query` as a user runs it: the real CLI process against the real API,
 * IEs parked by a real worker. A dry run, a bulk delete by query across two scenarios followed to
 * the end (plain progress lines: stderr is not a terminal), the operations list and the ledger.
 */
import { waitFor } from '../../src/stack/wait';
import type { IncompleteExecutionDocument } from '../../src/store';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { allScopes, startApi, type RunningApi } from './support/api';
import { runImexCli, type CliResult } from './support/cli';
import { writtenThroughByWorkflow } from '../helpers/ie-waits';
import { webhookTrigger } from '../helpers/blueprints';

let env: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let token: string;

function imexCli(args: string[]): Promise<CliResult> {
  return runImexCli(args, { IMEX_API_URL: api.url, IMEX_TOKEN: token });
}

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { schedule: Array.from({ length: 8 }, () => 3_600_000) });
  http = await new ScriptedHttpServer().start();
  api = await startApi(harness.store, harness.imex);
  token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;
});
afterAll(async () => {
  await http?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
});

async function parkMany(n: number, urlPath: string, error: string) {
  http.script(urlPath, { status: 400, body: { error } });
  const scenarioId = await harness.createScenario(
    {
      name: `cli ${urlPath}`,
      flow: [webhookTrigger, http.httpModule(2, urlPath)],
      metadata: { scenario: { dlq: true } },
    },
    `cli ${urlPath}`,
  );
  const runs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { i } }),
    ),
  );
  const results = await Promise.all(runs.map((r) => harness.imex.scenarioRunResult(r.executionId)));
  const ieIds = results.map((r) => r.parked[0]?.ieId as string);
  for (const id of ieIds) {
    await waitFor(
      `incomplete execution ${id}`,
      async () => {
        const doc: IncompleteExecutionDocument | null = await harness.store.incompleteExecutions.get(id);
        return doc?.status === 'unresolved' && writtenThroughByWorkflow(doc) ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
  }
  return { scenarioId, ieIds };
}

test('ie delete --query: a dry run, then the operation followed to the end, listed, and its ledger', async () => {
  const a = await parkMany(3, '/cq-a', 'warehouse closed');
  const b = await parkMany(2, '/cq-b', 'warehouse closed');
  const c = await parkMany(2, '/cq-c', 'customer unknown');

  const dry = await imexCli(['ie', 'delete', '--query', '--message', 'WAREHOUSE', '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('5 incomplete executions match (dry run: nothing changed)');
  expect(await harness.store.incompleteExecutions.countMatching(harness.orgId, {}, new Date())).toBe(7);

  // Query flags go with --query only; --query takes no ids.
  expect((await imexCli(['ie', 'delete', '--message', 'x', '--all', '--scenario', '1'])).stderr).toContain(
    '--message goes with --query',
  );
  expect((await imexCli(['ie', 'delete', '--query', a.ieIds[0]!])).code).toBe(2);

  const deleted = await imexCli([
    'ie',
    'delete',
    '--query',
    '--scenario',
    `${a.scenarioId},${b.scenarioId}`,
    '--scenario',
    String(c.scenarioId),
    '--message',
    'warehouse',
    '--status',
    'unresolved',
    '--since',
    '1h',
    '--reason',
    'incident 42',
  ]);
  expect(deleted.code).toBe(0);
  expect(deleted.stderr).toMatch(/Operation [0-9a-f]{32}: delete of 5 incomplete executions/);
  expect(deleted.stderr).toContain('delete 5/5: 5 deleted, 0 skipped, 0 failed (completed)');
  expect(deleted.stdout).toMatch(/Operation [0-9a-f]{32}: delete 5\/5: 5 deleted, 0 skipped, 0 failed \(completed\)/);
  for (const id of [...a.ieIds, ...b.ieIds]) {
    expect((await harness.store.incompleteExecutions.get(id))?.deleted).toBe(true);
  }
  for (const id of c.ieIds) expect((await harness.store.incompleteExecutions.get(id))?.deleted).toBe(false);
  const operationId = /Operation ([0-9a-f]{32})/.exec(deleted.stdout)![1]!;

  const listed = await imexCli(['ie', 'operations', '--state', 'completed']);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(operationId);
  const shown = await imexCli(['ie', 'operation', operationId, '--items']);
  expect(shown.code).toBe(0);
  for (const id of [...a.ieIds, ...b.ieIds]) expect(shown.stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+applied`));
  const json = JSON.parse((await imexCli(['--json', 'ie', 'operation', operationId, '--items'])).stdout);
  expect(json.items).toHaveLength(5);
  expect(json.operation).toMatchObject({ state: 'completed', applied: 5 });
  const cancel = await imexCli(['ie', 'cancel-operation', operationId]);
  expect(cancel.code).toBe(5);
  expect(cancel.stderr).toContain('the operation is completed: it cannot cancel');
});
