/**
 * Temporal payloads encrypted end to end (issue 20): with a keyring, a parked IE's histories hold
 * ciphertext only (inputs, results, signals, failure messages, summaries), read raw without the
 * codec; the IE's whole lifecycle (park, worker restart, retry, patch, resolve) works through the
 * codec; search attributes and workflow ids carry no user data; and histories replay with the codec
 * installed, encrypted ones and the plain ones recorded before encryption.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { Keyring } from '../../src/crypto/keyring';
import { ieWorkflowId, runWorkflowId } from '../../src/domain';
import { imexSearchAttributeTypes } from '../../src/domain/search-attributes';
import { imexDataConverter } from '../../src/temporal/data-converter';
import { ENCRYPTED_ENCODING, EncryptionCodec } from '../../src/temporal/encryption-codec';
import { encodingOf, historyBytes, payloadsIn } from '../helpers/history-payloads';
import { waitForIeDocument, writtenThroughByWorkflow } from '../helpers/ie-waits';
import { imexWorkflowBundle, startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { webhookTrigger } from '../helpers/blueprints';

const keyring = new Keyring([
  { id: 'test-current', key: crypto.randomBytes(32) },
  { id: 'test-old', key: crypto.randomBytes(32) },
]);
const codec = new EncryptionCodec(keyring);
// Markers in every place user data goes: the run's input, a service's error answer, the scenario's name.
const INPUT_MARKER = 'in-7d1e0a-alice@example.com';
const ERROR_MARKER = 'err-93b2c4-order-5512';
const NAME_MARKER = 'name-5c0f7e-Payroll';
const PATCH_MARKER = 'patch-1a2b3c-bob@example.com';
const markers = [INPUT_MARKER, ERROR_MARKER, NAME_MARKER, PATCH_MARKER];

let env: TestEnv;
let imex: ImexHarness;
let http: ScriptedHttpServer;

beforeAll(async () => {
  env = await openTestEnv();
  imex = await startImexHarness(env, { keyring, schedule: [3_600, 3_600] });
  http = await new ScriptedHttpServer().start();
});
afterAll(async () => {
  await imex?.stop();
  await http?.stop();
  await env?.close();
});

/** The raw history, read with the test's plain client: what Temporal stores. */
async function rawHistory(workflowId: string) {
  return env.client.workflow.getHandle(workflowId).fetchHistory();
}

/** Every payload outside search attributes is ciphertext; what the codec reads back from them. */
async function expectCiphertextOnly(history: temporal.api.history.v1.IHistory): Promise<string> {
  const bytes = historyBytes(history);
  for (const marker of markers) expect(bytes.includes(marker)).toBe(false);
  const all = payloadsIn(history);
  const searchAttributes = all.filter((p) => p.path.includes('searchAttributes'));
  // Markers the SDK's core writes itself (a patch's id; a local activity's type and times), never data.
  const coreMarkers = /markerRecordedEventAttributes\.details\.(patch-data|data)\b/;
  const others = all.filter((p) => !p.path.includes('searchAttributes') && !coreMarkers.test(p.path));
  expect(others.length).toBeGreaterThan(0);
  expect(others.filter((p) => encodingOf(p.payload) !== ENCRYPTED_ENCODING).map((p) => p.path)).toEqual([]);
  // Search attributes are never encoded by codecs: only imex's ids, statuses and counts, and the SDK's patch markers.
  const names = new Set(searchAttributes.map((p) => p.path.split('.').at(-1)));
  for (const name of names) expect(['TemporalChangeVersion', ...Object.keys(imexSearchAttributeTypes)]).toContain(name);
  const decoded = await codec.decode(others.map((p) => p.payload));
  return decoded.map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
}

async function replayWithCodec(
  histories: { workflowId: string; history: unknown }[],
  keys: Keyring = keyring,
): Promise<string[]> {
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: await imexWorkflowBundle(), dataConverter: imexDataConverter(keys), replayName: 'codec' },
    histories.map(({ workflowId, history }) => ({ workflowId, history: history as never })),
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return failures;
}

test('a parked IE lives through park, restart, retry, patch and resolve with only ciphertext in Temporal', async () => {
  http.script('/enc', { status: 400, body: { error: ERROR_MARKER } });
  const scenarioId = await imex.createScenario(
    {
      name: `Scenario ${NAME_MARKER}`,
      flow: [webhookTrigger, http.httpModule(2, '/enc', { data: '{"email":"{{1.email}}"}' })],
      metadata: { scenario: { dlq: true } },
    },
    `Scenario ${NAME_MARKER}`,
  );
  const { executionId } = await imex.imex.startScenarioRun({
    orgId: imex.orgId,
    scenarioId,
    data: { email: INPUT_MARKER },
  });
  const result = await imex.imex.scenarioRunResult(executionId);
  const ieId = result.parked[0]?.ieId as string;
  expect(ieId).toMatch(/^[0-9a-f]{32}$/);
  const parked = await waitForIeDocument(imex.store, ieId, 'the IE to be written through', writtenThroughByWorkflow);
  expect(parked).toMatchObject({ status: 'unresolved', error: { type: 'DataError' } });
  // The store keeps the data in plaintext (at-rest encryption is separate); the workflow reads it through the codec.
  expect(parked.error.message).toContain(ERROR_MARKER);
  expect((await imex.imex.incompleteExecutionState(ieId))?.status).toBe('unresolved');

  // Workflow ids are imex's ids, never user data.
  expect(runWorkflowId(executionId)).toMatch(/^run-[0-9a-f]{32}$/);
  expect(ieWorkflowId(ieId)).toMatch(/^ie-[0-9a-f]{32}$/);

  // Raw histories: ciphertext only; with the keys, the markers are there (the control).
  const runText = await expectCiphertextOnly(await rawHistory(runWorkflowId(executionId)));
  expect(runText).toContain(INPUT_MARKER);
  expect(runText).toContain(ERROR_MARKER); // the failure message, inside encodedAttributes
  expect(runText).toContain(NAME_MARKER); // the run's summary
  const ieText = await expectCiphertextOnly(await rawHistory(ieWorkflowId(ieId)));
  expect(ieText).toContain(ieId);

  // A fresh worker replays the encrypted histories through the codec.
  await imex.restartWorker();
  await imex.imex.requestIncompleteExecution(ieId, 'retry');
  await waitForIeDocument(imex.store, ieId, 'the failed attempt', (d) => d.attempts === 1 && d.status === 'unresolved');
  expect(http.requestsTo('/enc').map((r) => r.body)).toEqual([
    `{"email":"${INPUT_MARKER}"}`,
    `{"email":"${INPUT_MARKER}"}`,
  ]);

  // Patch the stored bundle (an update and its argument, encrypted), then resolve with the service fixed.
  await imex.imex.requestIncompleteExecution(ieId, 'patch', { bundles: { '1': { value: { email: PATCH_MARKER } } } });
  http.script('/enc', { status: 200, body: { ok: true } });
  await imex.imex.requestIncompleteExecution(ieId, 'resolve', {});
  const resolved = await waitForIeDocument(imex.store, ieId, 'the IE to resolve', (d) => d.resolved);
  expect(resolved.status).toBe('resolved');
  expect(http.requestsTo('/enc').at(-1)?.body).toBe(`{"email":"${PATCH_MARKER}"}`);
  await imex.client.workflow.getHandle(ieWorkflowId(ieId)).result();

  const attempts = await imex.store.executions.listByIncompleteExecution(ieId);
  expect(attempts).toHaveLength(2);
  const histories = [
    { workflowId: runWorkflowId(executionId), history: await rawHistory(runWorkflowId(executionId)) },
    { workflowId: ieWorkflowId(ieId), history: await rawHistory(ieWorkflowId(ieId)) },
    ...(await Promise.all(
      attempts.map(async (a) => ({
        workflowId: runWorkflowId(a.executionId),
        history: await rawHistory(runWorkflowId(a.executionId)),
      })),
    )),
  ];
  const texts = await Promise.all(histories.map(({ history }) => expectCiphertextOnly(history)));
  expect(texts.join('\n')).toContain(PATCH_MARKER);

  // Encrypted histories replay with the codec installed. A worker without their key fails each
  // workflow task (Temporal retries it; nothing runs on empty data): the worker's log names the key,
  // the failure it reports is itself encrypted ("Encoded failure", readable through the codec server).
  expect(await replayWithCodec(histories)).toEqual([]);
  const otherKeys = new Keyring([{ id: 'test-other', key: crypto.randomBytes(32) }]);
  const withoutKey = await replayWithCodec(histories, otherKeys);
  expect(withoutKey).toHaveLength(histories.length);
  for (const failure of withoutKey) expect(failure).toMatch(/workflow task failure.*Encoded failure/);
});

test('histories recorded before encryption replay with the codec installed (plain payloads pass through)', async () => {
  const fixtures = path.resolve(__dirname, '../fixtures/histories');
  const files = fs.readdirSync(fixtures).filter((f) => f.endsWith('.history.pb'));
  expect(files.length).toBeGreaterThan(10);
  const histories = files.map((file) => ({
    workflowId: file,
    history: temporal.api.history.v1.History.decode(fs.readFileSync(path.join(fixtures, file))),
  }));
  expect(await replayWithCodec(histories)).toEqual([]);
});
