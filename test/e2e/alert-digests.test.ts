/**
 * Alert digests on real servers, delivered to real local HTTP receivers: a burst of 200 parks is
 * told in a few digests (every IE counted once, each channel given each digest once, a failing
 * channel retried until it has it), and a park that auto-resolves within its window is left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { alertDigestWorkflowId, alertWindowOf } from '../../src/domain/alerts';
import { waitFor } from '../../src/stack/wait';
import { ALERT_SETTINGS_FRESH_MS } from '../../src/temporal/alert-recorder';
import { deactivateScenario } from '../../src/temporal/scenario-deactivation';
import { imexWorkflowBundle, startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { SmtpTestServer } from '../helpers/smtp-test-server';
import { parseSmtpConnections } from '../../src/modules';
import { webhookTrigger } from '../helpers/blueprints';
import { allScopes, startApi, type RunningApi } from './support/api';

jest.setTimeout(300_000);

interface DeliveredDigest {
  type: string;
  channel: string;
  digest: {
    id: string;
    suppressed: number;
    groups: { kind: string; scenarioId: number; count: number; ieIds: string[] }[];
  };
}

let env: TestEnv;
let harness: ImexHarness;
let api: RunningApi;
let http: ScriptedHttpServer;
let token: string;
let smtp: SmtpTestServer;

beforeAll(async () => {
  env = await openTestEnv();
  smtp = await new SmtpTestServer().start();
  harness = await startImexHarness(env, {
    schedule: [1_000, 1_000],
    modules: { email: { connections: parseSmtpConnections(smtp.url({ from: 'imex@example.com' })) } },
  });
  api = await startApi(harness.store, harness.imex);
  http = await new ScriptedHttpServer().start();
  token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;
}, 180_000);

afterAll(async () => {
  await api?.close();
  await harness?.stop();
  await http?.stop();
  await smtp?.stop();
  await env?.close();
});

const digestsAt = (path: string) =>
  http
    .requestsTo(path)
    .filter((r) => r.status === 200)
    .map((r) => ({ key: r.headers['idempotency-key'], body: JSON.parse(r.body) as DeliveredDigest }));

test('settings are validated and read back with every kind on by default', async () => {
  const bad = await api.call('PUT', '/alerts', {
    token,
    body: { channels: [{ id: 'ops', type: 'webhook', url: 'ftp://x' }], windowSeconds: 1 },
  });
  expect(bad.status).toBe(400);
  expect(bad.text).toMatch(/channels/);
  expect(bad.text).toMatch(/windowSeconds/);
  const unset = await api.call('GET', '/alerts', { token });
  expect(unset.body.alerts).toMatchObject({
    channels: [],
    rules: { park: true, unresolved: true },
    windowSeconds: 300,
  });
});

test('a burst of 200 parks is told in a few digests, each channel gets each digest once, a failing one is retried', async () => {
  http.script('/bad', { status: 400, body: { error: 'invalid record' } });
  http.script('/alerts/flaky', { status: 500 }, { status: 500 }, { status: 200 });
  const put = await api.call('PUT', '/alerts', {
    token,
    body: {
      channels: [
        { id: 'ops', type: 'webhook', url: http.url('/alerts/ops') },
        { id: 'flaky', type: 'webhook', url: http.url('/alerts/flaky') },
      ],
      windowSeconds: 10,
    },
  });
  expect(put.status).toBe(200);
  const scenarioId = await harness.createScenario({
    name: 'rejects every record',
    flow: [webhookTrigger, http.httpModule(2, '/bad', { data: '{"n":{{1.n}}}' })],
    metadata: { scenario: { dlq: true } },
  });

  const started = Date.now();
  const runs = await Promise.all(
    Array.from({ length: 200 }, (_, n) =>
      harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { n } }),
    ),
  );
  const results = await Promise.all(runs.map(({ executionId }) => harness.imex.scenarioRunResult(executionId)));
  expect(results.every((r) => r.parked.length === 1)).toBe(true);
  const parkedIn = Date.now() - started;

  // DataError: no auto-retry, so each IE waits for a person from the start (`unresolved`).
  const counted = () =>
    digestsAt('/alerts/ops')
      .flatMap((d) => d.body.digest.groups)
      .filter((g) => g.kind === 'unresolved' && g.scenarioId === scenarioId)
      .reduce((sum, g) => sum + g.count, 0);
  await waitFor('every unresolved IE in a digest', async () => (counted() >= 200 ? true : undefined), {
    timeoutMs: 120_000,
  });
  const ops = digestsAt('/alerts/ops');
  const flaky = () => digestsAt('/alerts/flaky');
  await waitFor(
    'the failing channel to have every digest',
    async () => (flaky().length >= ops.length ? true : undefined),
    { timeoutMs: 120_000 },
  );

  expect(counted()).toBe(200);
  // Told once per window, not once per park: the windows the burst spanned, plus the last.
  expect(ops.length).toBeLessThanOrEqual(Math.ceil(parkedIn / 10_000) + 2);
  // Each channel got each digest exactly once, the same digest on both.
  const ids = (list: { body: DeliveredDigest }[]) => list.map((d) => d.body.digest.id).sort();
  expect(new Set(ids(ops)).size).toBe(ops.length);
  expect(ids(flaky())).toEqual(ids(ops));
  expect(ops.every((d) => d.key === `imex-digest-${d.body.digest.id}`)).toBe(true);
  expect(http.requestsTo('/alerts/flaky').filter((r) => r.status === 500)).toHaveLength(2);
  // Every alert was claimed by exactly one digest.
  const events = harness.store.alerts.events;
  expect(await events.countDocuments({ orgId: harness.orgId, kind: 'unresolved' })).toBe(200);
  expect(await events.countDocuments({ orgId: harness.orgId, claimed: null })).toBe(0);
  await replayAndRecord(ops[0]?.body.digest.id as string);
  const listed = await api.call('GET', '/alerts/digests', { token });
  expect(listed.body.digests.filter((d: { groups: unknown }) => d.groups).length).toBe(ops.length);
  expect(listed.body.digests.every((d: { deliveredTo: string[] }) => d.deliveredTo.sort().join() === 'flaky,ops')).toBe(
    true,
  );
});

/**
 * The digest workflow's history replays against the current code; `IMEX_RECORD_HISTORIES=1` adds
 * it to the replay fixtures (replay.test.ts replays them all), as tracing.test.ts does.
 */
async function replayAndRecord(digestId: string) {
  const window = Number(digestId.split(':')[1]);
  const workflowId = alertDigestWorkflowId(harness.taskQueue, harness.orgId, window);
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await imexWorkflowBundle(), replayName: 'imex-replay-alerts' },
    [{ workflowId, history }],
  )) {
    if (result.error) failures.push(result.error.message);
  }
  expect(failures).toEqual([]);
  const file = path.resolve(__dirname, '../fixtures/histories/alert-digest-delivered.history.pb');
  if (process.env.IMEX_RECORD_HISTORIES === '1' && !fs.existsSync(file)) {
    fs.writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
  }
}

test('a park that auto-resolves within its window is left out of the digest', async () => {
  const windowSeconds = 15;
  await api.call('PUT', '/alerts', {
    token,
    body: { channels: [{ id: 'ops', type: 'webhook', url: http.url('/alerts/quiet') }], windowSeconds },
  });
  http.script('/flap', { status: 503 }, { status: 503 }, { status: 503 }, { status: 200 });
  const scenarioId = await harness.createScenario({
    name: 'a service that comes back',
    flow: [webhookTrigger, http.httpModule(2, '/flap', { data: '{"n":1}' })],
    metadata: { scenario: { dlq: true } },
  });
  // The worker reads the new settings once its cached ones are stale.
  await new Promise((r) => setTimeout(r, ALERT_SETTINGS_FRESH_MS + 100));
  // Park early in a window, so the auto-retry a second later falls within it.
  const windowMs = windowSeconds * 1000;
  const left = alertWindowOf(new Date(), windowMs) + windowMs - Date.now();
  if (left < 10_000) await new Promise((r) => setTimeout(r, left + 100));
  const { executionId } = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: {} });
  const [parked] = (await harness.imex.scenarioRunResult(executionId)).parked;
  const ieId = parked?.ieId as string;
  await waitFor(
    'the IE resolved by auto-retry',
    async () => ((await harness.store.incompleteExecutions.get(ieId))?.status === 'resolved' ? true : undefined),
    { timeoutMs: 30_000 },
  );
  const window = alertWindowOf(new Date(), windowMs);
  const digest = await waitFor(
    "the window's digest",
    async () => {
      const doc = await harness.store.alerts.digests.findOne({ _id: `${harness.orgId}:${window}` });
      return doc && doc.digest !== undefined ? doc : undefined;
    },
    { timeoutMs: windowMs + 30_000 },
  );
  expect(digest.digest).toBeNull();
  expect(await harness.store.alerts.events.findOne({ _id: `${harness.orgId}:park:${ieId}` })).toMatchObject({
    claimed: window,
  });
  expect(http.count('/alerts/quiet')).toBe(0);
});

test('a deactivated scenario is told, once for its activation', async () => {
  await api.call('PUT', '/alerts', {
    token,
    body: { channels: [{ id: 'ops', type: 'webhook', url: http.url('/alerts/deactivations') }], windowSeconds: 10 },
  });
  await new Promise((r) => setTimeout(r, ALERT_SETTINGS_FRESH_MS + 100));
  const scenarioId = await harness.createScenario({ name: 'will be deactivated', flow: [webhookTrigger] });
  const scenario = await harness.store.scenarios.get(harness.orgId, scenarioId);
  const request = {
    orgId: harness.orgId,
    scenarioId,
    reason: '3 consecutive errors',
    activation: scenario?.activatedAt?.toISOString() ?? null,
  };
  const deps = { store: harness.store, client: harness.client, taskQueue: harness.taskQueue };
  expect(await deactivateScenario(deps, request)).toEqual({ deactivated: true });
  expect(await deactivateScenario(deps, request)).toEqual({ deactivated: false });
  const delivered = await waitFor('the deactivation digest', async () => digestsAt('/alerts/deactivations')[0]?.body, {
    timeoutMs: 40_000,
  });
  expect(delivered.digest.groups).toEqual([expect.objectContaining({ kind: 'deactivated', scenarioId, count: 1 })]);
});

test('a digest goes by e-mail through a deployment SMTP connection, once, without its password', async () => {
  const put = await api.call('PUT', '/alerts', {
    token,
    body: { channels: [{ id: 'mail', type: 'email', to: ['ops@example.com'] }], windowSeconds: 10 },
  });
  expect(put.status).toBe(200);
  await new Promise((r) => setTimeout(r, ALERT_SETTINGS_FRESH_MS + 100));
  http.script('/mail-bad', { status: 400, body: { error: 'invalid' } });
  const scenarioId = await harness.createScenario({
    name: 'mailed',
    flow: [webhookTrigger, http.httpModule(2, '/mail-bad', { data: '{"n":{{1.n}}}' })],
    metadata: { scenario: { dlq: true } },
  });
  const runs = await Promise.all(
    [1, 2, 3].map((n) => harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { n } })),
  );
  await Promise.all(runs.map(({ executionId }) => harness.imex.scenarioRunResult(executionId)));
  const mails = await waitFor(
    'the digests by e-mail',
    async () => {
      const mailbox = smtp.mailbox().filter((m) => m.raw.includes(`scenario ${scenarioId}`));
      const told = mailbox.reduce((sum, m) => sum + Number(/(\d+) waiting for a person/.exec(m.raw)?.[1] ?? 0), 0);
      return told >= 3 ? mailbox : undefined;
    },
    { timeoutMs: 60_000 },
  );
  for (const mail of mails) {
    expect(mail.recipients).toEqual(['ops@example.com']);
    expect(mail.from).toBe('imex@example.com');
    expect(mail.messageId).toMatch(/^<imex-digest-\d+-\d+-mail@imex>$/);
    expect(mail.raw).not.toContain(smtp.pass);
  }
  expect(smtp.received).toHaveLength(smtp.mailbox().length);
});
