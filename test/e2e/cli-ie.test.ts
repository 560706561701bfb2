/**
 * `imex ie …` as a real process against a running API, with IEs parked by a real worker: tables,
 * `--json`, bulk forms with progress, and exit codes by cause.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { blueprintSchema } from '../../src/domain';
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
let dir: string;

function imexCli(args: string[]): Promise<CliResult> {
  return runImexCli(args, { IMEX_API_URL: api.url, IMEX_TOKEN: token });
}

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { schedule: Array.from({ length: 8 }, () => 3_600_000) });
  http = await new ScriptedHttpServer().start();
  // Batches over 3 IEs answer 202 at once: the CLI follows them.
  api = await startApi(harness.store, harness.imex, { bulkWait: { maxIds: 3 } });
  token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'imex-cli-ie-'));
});
afterAll(async () => {
  await http?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

function blueprint(urlPath: string) {
  return {
    name: 'CLI orders',
    flow: [webhookTrigger, http.httpModule(2, urlPath)],
    metadata: { scenario: { dlq: true } },
  };
}

/** `n` runs of a scenario whose module 2 gets HTTP 400: `n` IEs waiting for a person. */
async function parkMany(n: number, urlPath: string) {
  http.script(urlPath, { status: 400, body: { error: 'rejected' } });
  const scenarioId = await harness.createScenario(blueprint(urlPath), `cli ${urlPath}`);
  const runs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { order: i } }),
    ),
  );
  const results = await Promise.all(runs.map((r) => harness.imex.scenarioRunResult(r.executionId)));
  const ieIds = results.map((r) => r.parked[0]?.ieId as string);
  for (const id of ieIds) await waitForIe(id, (d) => d.status === 'unresolved' && writtenThroughByWorkflow(d));
  return { scenarioId, ieIds };
}

function waitForIe(ieId: string, predicate: (doc: IncompleteExecutionDocument) => boolean) {
  return waitFor(
    `incomplete execution ${ieId}`,
    async () => {
      const doc = await harness.store.incompleteExecutions.get(ieId);
      return doc && predicate(doc) ? doc : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

test('list, show, bundle, blueprint: tables by default, --json for scripts; bad and unknown ids', async () => {
  const { scenarioId, ieIds } = await parkMany(2, '/cli-list');
  const list = await imexCli(['ie', 'list', '--scenario', String(scenarioId)]);
  expect(list).toMatchObject({ code: 0, stderr: '' });
  const lines = list.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^ID\s+STATUS\s+ERRORTYPE\s+FAILER\s+ATTEMPTS\s+RETRY\s+NEXTRETRYAT\s+CREATED\s+REASON$/);
  expect(lines).toHaveLength(3);
  for (const id of ieIds)
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+unresolved\\s+DataError\\s+2\\s+0\\s+no\\s+-`, 'm'));

  const json = await imexCli(['ie', 'list', '--scenario', String(scenarioId), '--json', '--asc']);
  const parsed = JSON.parse(json.stdout) as { dlqs: { id: string }[]; pg: unknown };
  expect(parsed.pg).toEqual({ offset: 0, limit: 100, sortBy: 'created', sortDir: 'asc' });
  expect(new Set(parsed.dlqs.map((d) => d.id))).toEqual(new Set(ieIds));

  const id = ieIds[0] as string;
  const show = await imexCli(['ie', 'show', id]);
  expect(show.code).toBe(0);
  expect(show.stdout).toContain(`Incomplete execution ${id}`);
  expect(show.stdout).toMatch(/status: +unresolved/);
  expect(show.stdout).toMatch(/failed module: 2 \(bundle 0 of execution [0-9a-f]{32}\)/);

  const bundle = await imexCli(['ie', 'bundle', id]);
  expect(JSON.parse(bundle.stdout)).toEqual({
    '1': { value: { order: expect.any(Number) } },
    '2': { error: { type: 'DataError', message: expect.any(String) } },
  });
  const bp = await imexCli(['ie', 'blueprint', id]);
  expect(JSON.parse(bp.stdout)).toMatchObject({ name: 'CLI orders', flow: [{ id: 1 }, { id: 2 }] });

  expect(await imexCli(['ie', 'show', 'nope'])).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('must be 32 lowercase hex characters'),
  });
  expect(await imexCli(['ie', 'show', 'f'.repeat(32)])).toMatchObject({
    code: 4,
    stderr: `error: incomplete execution ${'f'.repeat(32)} not found [IM_NOT_FOUND]\n`,
  });
});

test('patch, resolve, logs, and a refused retry (exit 5 with the reason)', async () => {
  const { ieIds } = await parkMany(1, '/cli-patch');
  const id = ieIds[0] as string;
  http.script('/cli-fixed', { status: 200, body: { ok: true } });
  const file = path.join(dir, 'fixed.json');
  await fs.writeFile(file, JSON.stringify(blueprint('/cli-fixed')));
  const bad = path.join(dir, 'bad.json');
  const unknown = blueprint('/x');
  unknown.flow.push({ id: 3, module: 'acme:Nope', version: 1, parameters: {}, mapper: {} } as never);
  await fs.writeFile(bad, JSON.stringify(unknown));

  const refused = await imexCli(['ie', 'patch', id, '--blueprint-file', bad]);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('[IM_VALIDATION]');
  expect(refused.stderr).toContain('blueprint.flow[2].module');
  expect(refused.stderr).not.toMatch(/^\s+at /m);

  const patched = await imexCli(['ie', 'patch', id, '--blueprint-file', file, '--failer', '2']);
  expect(patched).toMatchObject({
    code: 0,
    stdout: `Incomplete execution ${id} patched: the next attempt starts at module 2 of "CLI orders" (2 modules)\n`,
  });
  const resolved = await imexCli(['ie', 'resolve', id]);
  expect(resolved).toMatchObject({ code: 0, stdout: `Resolving ${id}: attempt started\n` });
  await waitForIe(id, (d) => d.resolved);
  await harness.imex.incompleteExecutionHandle(id).result();

  const logs = await imexCli(['ie', 'logs', id]);
  expect(logs.code).toBe(0);
  expect(logs.stdout).toMatch(/^ID\s+STATUS\s+TIMESTAMP\s+DURATIONMS\s+OPERATIONS\s+ERROR$/m);
  const logId = /^([0-9a-f]{32})\s+success/m.exec(logs.stdout)?.[1] as string;
  expect(logId).toBeDefined();
  const detail = await imexCli(['ie', 'logs', id, logId]);
  expect(detail.stdout).toContain(`Attempt ${logId}: success`);
  expect(detail.stdout).toMatch(/^2\s+http:ActionSendData\s+success/m);

  const again = await imexCli(['ie', 'retry', id]);
  expect(again.code).toBe(5);
  expect(again.stderr).toMatch(/^error: incomplete execution [0-9a-f]{32}: .*resolved.* \[IM_CONFLICT\]$/m);
});

test('changes: patch, retry and delete with --reason, listed newest first with who and what', async () => {
  const { ieIds } = await parkMany(1, '/cli-changes');
  const id = ieIds[0] as string;
  const bundles = path.join(dir, 'bundles.json');
  await fs.writeFile(bundles, JSON.stringify({ '1': { value: { order: 42 } } }));
  const patched = await imexCli(['ie', 'patch', id, '--bundles-file', bundles, '--reason', 'order number fixed']);
  expect(patched.code).toBe(0);
  const retried = await imexCli(['ie', 'retry', id, '--reason', 'try again']);
  expect(retried.code).toBe(0);
  await waitForIe(id, (d) => d.attempts === 1 && d.status === 'unresolved');
  const deleted = await imexCli(['ie', 'delete', id, '--reason', 'gave up']);
  expect(deleted.code).toBe(0);

  const changes = await imexCli(['ie', 'changes', id]);
  expect(changes).toMatchObject({ code: 0, stderr: '' });
  const lines = changes.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^SEQ\s+AT\s+KIND\s+ACTOR\s+CHANGES\s+REASON$/);
  expect(lines.slice(1)).toEqual([
    expect.stringMatching(
      /^3\s+\S+\s+delete\s+\(unnamed token\) \(token [0-9a-f]+\)\s+bundles 1; blueprint.*; status unresolved→deleted\s+gave up$/,
    ),
    expect.stringMatching(/^2\s+\S+\s+retry\s+\(unnamed token\).*status unresolved→in_progress\s+try again$/),
    expect.stringMatching(/^1\s+\S+\s+patch\s+\(unnamed token\).*bundles 1\s+order number fixed$/),
  ]);
  const json = JSON.parse((await imexCli(['ie', 'changes', id, '--json', '--limit', '1', '--offset', '2'])).stdout);
  expect(json).toMatchObject({
    dlqChanges: [
      { seq: 1, kind: 'patch', changes: { bundles: { '1': { before: { order: 0 }, after: { order: 42 } } } } },
    ],
    pg: { offset: 2, limit: 1, total: 3 },
  });
});

test('plan, blueprint-diff, and a retry from the trigger sent twice under one --request-id: run once', async () => {
  const { scenarioId, ieIds } = await parkMany(1, '/cli-plan');
  const id = ieIds[0] as string;
  const plan = await imexCli(['ie', 'plan', id, '--from', '1']);
  expect(plan).toMatchObject({ code: 0, stderr: '' });
  const lines = plan.stdout.trim().split('\n');
  expect(lines[0]).toBe('Plan (stored blueprint, failed module 2): starts at module 2 (after trigger 1)');
  expect(lines[1]).toBe('  reuses the stored output of: 1');
  expect(lines[3]).toMatch(/^ {2}2 http:ActionSendData\s+runs\s+calls again, not idempotent$/);
  expect(lines[4]).toMatch(/^ {2}warning: module 2 \(http:ActionSendData\) runs again and is not idempotent/);
  const off = await imexCli(['ie', 'plan', id, '--from', '9']);
  expect(off.code).toBe(2);
  expect(off.stderr).toContain('from: module 9 is not on the path to module 2');
  expect((await imexCli(['ie', 'plan', id, '--blueprint', 'newest'])).code).toBe(2);

  const current = blueprint('/cli-plan');
  current.flow[1] = http.httpModule(2, '/cli-plan-new');
  await harness.store.scenarios.update(harness.orgId, scenarioId, {
    blueprint: blueprintSchema.parse(current),
  });
  const diff = await imexCli(['ie', 'blueprint-diff', id]);
  expect(diff.stdout.trim().split('\n')).toEqual([
    '~ module 2 http:ActionSendData',
    `    mapper.url: "${http.url('/cli-plan')}" → "${http.url('/cli-plan-new')}"`,
  ]);

  http.script('/cli-plan', { status: 200, body: { ok: true } });
  const retry = ['ie', 'retry', id, '--from', '1', '--request-id', 'cli-plan-1'];
  const first = await imexCli(retry);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(`Retry of ${id} started`);
  await waitForIe(id, (d) => d.resolved);
  const again = await imexCli(retry);
  expect(again).toMatchObject({ code: 0 });
  expect(http.count('/cli-plan')).toBe(2); // the first run, and the one attempt
  expect(http.count('/cli-plan-new')).toBe(0);
});

test('bulk retry by ids and delete: a verdict per id, exit 5 when any is refused, --all needs --yes', async () => {
  const { scenarioId, ieIds } = await parkMany(2, '/cli-bulk');
  const unknown = 'a'.repeat(32);
  const retry = await imexCli([
    'ie',
    'retry',
    '--ids',
    `${ieIds.join(',')},${unknown}`,
    '--scenario',
    String(scenarioId),
  ]);
  expect(retry.code).toBe(5);
  expect(retry.stdout).toMatch(new RegExp(`^${ieIds[0]}\\s+started`, 'm'));
  expect(retry.stdout).toMatch(new RegExp(`^${unknown}\\s+refused\\s+the incomplete execution was not found`, 'm'));
  expect(retry.stdout).toContain('2 of 3 retries started');
  for (const id of ieIds) await waitForIe(id, (d) => d.attempts === 1 && d.status === 'unresolved');

  const unconfirmed = await imexCli(['ie', 'delete', '--all', '--scenario', String(scenarioId)]);
  expect(unconfirmed.code).toBe(5);
  expect(unconfirmed.stderr).toContain('[IM004]');
  expect(unconfirmed.stderr).toContain('pass --yes to confirm');

  // One id, its scenario looked up; plus one that does not exist: the 400 lists it, the other is gone.
  const partial = await imexCli(['ie', 'delete', ieIds[0] as string, unknown, '--json']);
  expect(partial.code).toBe(5);
  expect(JSON.parse(partial.stdout)).toMatchObject({
    code: 'IM_NOT_DELETED',
    detail: { deleted: [ieIds[0]], notDeleted: [{ id: unknown, reason: 'the incomplete execution was not found' }] },
  });

  const all = await imexCli(['ie', 'delete', '--all', '--scenario', String(scenarioId), '--yes']);
  expect(all).toMatchObject({ code: 0 });
  expect(all.stdout).toContain('1 of 1 deleted');
  const left = await imexCli(['ie', 'list', '--scenario', String(scenarioId)]);
  expect(left.stdout.trim()).toBe('(none)');
});

test('a large bulk retry is followed with progress on stderr; --no-wait prints the operation to follow', async () => {
  const { scenarioId, ieIds } = await parkMany(5, '/cli-many');
  const followed = await imexCli(['ie', 'retry', '--all', '--scenario', String(scenarioId)]);
  expect(followed.code).toBe(0);
  expect(followed.stderr).toMatch(/^retry: 5\/5 done \(5 started, 0 refused\)$/m);
  expect(followed.stdout).toContain('5 of 5 retries started');
  for (const id of ieIds) await waitForIe(id, (d) => d.attempts === 1 && d.status === 'unresolved');

  const queued = await imexCli(['ie', 'delete', '--ids', ieIds.join(','), '--no-wait', '--json']);
  expect(queued.code).toBe(0);
  const operationId = (JSON.parse(queued.stdout) as { operation: { id: string } }).operation.id;
  await waitFor(
    'the bulk delete',
    async () => ((await harness.store.bulkOperations.get(operationId))?.status === 'completed' ? true : undefined),
    { timeoutMs: 60_000 },
  );
  const shown = await imexCli(['ie', 'operation', operationId]);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain(`Operation ${operationId}: delete of scenario ${scenarioId}, completed`);
  expect(shown.stdout).toContain('5/5 done: 5 ok, 0 refused');
});

test('--help everywhere and usage errors exit 2', async () => {
  const help = await imexCli(['ie', '--help']);
  expect(help.code).toBe(0);
  for (const command of ['list', 'show', 'bundle', 'blueprint', 'logs', 'retry', 'resolve', 'patch', 'delete']) {
    expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  }
  expect((await imexCli(['ie', 'retry'])).code).toBe(2);
  expect((await imexCli(['ie', 'retry', '--all'])).stderr).toContain('--all needs --scenario');
  expect((await imexCli(['ie', 'delete', '--ids', 'x,y'])).code).toBe(2);
});
