/**
 * `confidential: true` end to end: a confidential scenario's run parks an IE whose bundles carry a
 * marker; the marker is in no Temporal history even decrypted with the keys (the codec server's
 * view), in no raw MongoDB document, in no run log; the API shows the bundles only to a token with
 * `dlqs:read-data` (403 naming the scope otherwise); the retry still sends the marker to the service
 * (it reads the bundles from blobs) and resolves the IE.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BSON } from 'mongodb';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { Keyring } from '../../src/crypto/keyring';
import { ieWorkflowId, runWorkflowId } from '../../src/domain';
import { EncryptionCodec } from '../../src/temporal/encryption-codec';
import { payloadsIn } from '../helpers/history-payloads';
import { waitForIeDocument, writtenThroughByWorkflow } from '../helpers/ie-waits';
import { imexWorkflowBundle, startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { webhookTrigger } from '../helpers/blueprints';
import { noIncompleteExecutionRequests, startApi, type RunningApi } from '../e2e/support/api';

const keyring = new Keyring([{ id: 'k-conf', key: crypto.randomBytes(32) }]);
const codec = new EncryptionCodec(keyring);
const MARKER = `confidential-${crypto.randomBytes(6).toString('hex')}@example.test`;
const PATCH_MARKER = `patched-${crypto.randomBytes(6).toString('hex')}@example.test`;

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { keyring, schedule: [3_600, 3_600] });
  http = await new ScriptedHttpServer().start();
  api = await startApi(imex.store, {
    ...noIncompleteExecutionRequests,
    startScenarioRun: () => Promise.reject(new Error('no runs through this API')),
  });
});
afterAll(async () => {
  await api?.close();
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

/**
 * The workflow's history with every payload decrypted, as the codec server shows it to a
 * `payloads:read` token (the Web UI, the CLI), and its payloads' text.
 */
async function decodedHistory(
  workflowId: string,
): Promise<{ text: string; history: temporal.api.history.v1.IHistory }> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const payloads = payloadsIn(history);
  const decoded = await codec.decode(payloads.map((p) => p.payload));
  payloads.forEach((p, i) => Object.assign(p.payload, decoded[i]));
  return { text: decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n'), history };
}

async function rawDatabaseText(): Promise<string> {
  const texts: string[] = [];
  for (const { name } of await env.db.listCollections({}, { nameOnly: true }).toArray()) {
    for (const doc of await env.db.collection(name).find({}).toArray()) texts.push(BSON.EJSON.stringify(doc));
  }
  return texts.join('\n');
}

test('a confidential run keeps its module data out of Temporal and shows it to dlqs:read-data only; the retry works', async () => {
  http.script('/conf', { status: 400, body: { error: 'refused' } });
  const scenarioId = await imex.createScenario({
    name: 'confidential',
    flow: [webhookTrigger, http.httpModule(2, '/conf', { data: '{"email":"{{1.email}}"}' })],
    metadata: { scenario: { dlq: true, confidential: true } },
  });
  const { executionId } = await imex.imex.startScenarioRun({ orgId: imex.orgId, scenarioId, data: { email: MARKER } });
  const result = await imex.imex.scenarioRunResult(executionId);
  const ieId = result.parked[0]?.ieId as string;
  expect(ieId).toMatch(/^[0-9a-f]{32}$/);
  await waitForIeDocument(imex.store, ieId, 'the IE to be written through', writtenThroughByWorkflow);
  expect(http.requestsTo('/conf').map((r) => r.body)).toEqual([`{"email":"${MARKER}"}`]);

  // Temporal, decrypted with the keys: references only, never the marker.
  const run = await decodedHistory(runWorkflowId(executionId));
  expect(run.text).toContain('$imexBlob');
  expect(run.text).not.toContain(MARKER);
  expect((await decodedHistory(ieWorkflowId(ieId))).text).not.toContain(MARKER);
  // The run log keeps no module output; MongoDB holds the marker sealed only.
  const log = (await imex.store.executions.get(imex.orgId, executionId))?.log ?? [];
  expect(log.length).toBeGreaterThan(0);
  expect(JSON.stringify(log)).not.toContain(MARKER);
  expect(await rawDatabaseText()).not.toContain(MARKER);

  // The API: 403 naming the scope without dlqs:read-data, the bundles with it.
  const reader = (await imex.store.apiTokens.create({ orgId: imex.orgId, scopes: ['dlqs:read'] })).token;
  const dataReader = (await imex.store.apiTokens.create({ orgId: imex.orgId, scopes: ['dlqs:read', 'dlqs:read-data'] }))
    .token;
  for (const route of [`/dlqs/${ieId}/bundle`, `/dlqs/${ieId}/plan`, `/dlqs/${ieId}/changes`]) {
    const refused = await api.call('GET', route, { token: reader });
    expect({ route, status: refused.status, body: refused.body }).toMatchObject({
      route,
      status: 403,
      body: { code: 'IM_FORBIDDEN', message: expect.stringContaining('"dlqs:read-data"') },
    });
    expect(refused.text).not.toContain(MARKER);
    expect((await api.call('GET', route, { token: dataReader })).status).toBe(200);
  }
  const bundle = await api.call('GET', `/dlqs/${ieId}/bundle`, { token: dataReader });
  expect(bundle.text).toContain(MARKER);
  // The IE itself (no module data) stays visible to dlqs:read.
  expect((await api.call('GET', `/dlqs/${ieId}`, { token: reader })).status).toBe(200);

  // A failed retry reads the bundles from the store and sends the marker again.
  await imex.imex.requestIncompleteExecution(ieId, 'retry');
  await waitForIeDocument(imex.store, ieId, 'the failed attempt', (d) => d.attempts === 1 && d.status === 'unresolved');
  expect(http.requestsTo('/conf').map((r) => r.body)).toEqual([`{"email":"${MARKER}"}`, `{"email":"${MARKER}"}`]);
  // A patch of the bundle travels to the IE workflow by reference too; the retry sends the new value.
  await imex.imex.requestIncompleteExecution(ieId, 'patch', { bundles: { '1': { value: { email: PATCH_MARKER } } } });
  http.script('/conf', { status: 200, body: { ok: true } });
  await imex.imex.requestIncompleteExecution(ieId, 'retry');
  const resolved = await waitForIeDocument(imex.store, ieId, 'the IE to resolve', (d) => d.resolved);
  expect(resolved.status).toBe('resolved');
  expect(http.requestsTo('/conf').at(-1)?.body).toBe(`{"email":"${PATCH_MARKER}"}`);
  await imex.client.workflow.getHandle(ieWorkflowId(ieId)).result();
  const attempts = await imex.store.executions.listByIncompleteExecution(ieId);
  expect(attempts).toHaveLength(2);
  const texts = [
    (await decodedHistory(ieWorkflowId(ieId))).text,
    ...(await Promise.all(attempts.map(async (a) => (await decodedHistory(runWorkflowId(a.executionId))).text))),
  ].join('\n');
  expect(texts).toContain('$imexBlob');
  expect(texts).not.toContain(MARKER);
  expect(texts).not.toContain(PATCH_MARKER);
  expect(await rawDatabaseText()).not.toContain(PATCH_MARKER);

  // The run's new shape (CONFIDENTIAL_PATCH), decrypted, replays; IMEX_RECORD_HISTORIES=1 keeps it as a fixture.
  const failures: string[] = [];
  for await (const replayed of Worker.runReplayHistories(
    { workflowBundle: await imexWorkflowBundle(), replayName: 'imex-replay-confidential' },
    [{ workflowId: runWorkflowId(executionId), history: run.history }],
  )) {
    if (replayed.error) failures.push(replayed.error.message);
  }
  expect(failures).toEqual([]);
  const file = path.resolve(__dirname, '../fixtures/histories/scenario-run-confidential.history.pb');
  if (process.env.IMEX_RECORD_HISTORIES === '1' && !fs.existsSync(file)) {
    fs.writeFileSync(file, temporal.api.history.v1.History.encode(run.history).finish());
  }
});
