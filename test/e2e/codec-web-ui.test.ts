/**
 * The Temporal Web UI in a real browser (Debian's Chromium) with imex's codec server as its codec
 * endpoint: a parked run's input shows decrypted with a `payloads:read` token, and stays ciphertext
 * with a token that lacks the scope. A dev server of its own (the test stack's is headless), the
 * test stack's MongoDB.
 */
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { Keyring } from '../../src/crypto/keyring';
import { freePort } from '../../src/stack/free-port';
import { cachedGoBinary } from '../../src/stack/go-build';
import { findOnPath, imexPaths } from '../../src/stack/paths';
import { startTemporalDevServer, temporalCliBuild, type RunningTemporal } from '../../src/stack/temporal-dev-server';
import { closableRetry } from '../../src/temporal/closable-retry';
import { EncryptionCodec } from '../../src/temporal/encryption-codec';
import { CHROMIUM_INSTALL, CHROMIUM_PATH } from '../helpers/ensure-chromium';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { startApi, type RunningApi } from './support/api';
import { parkRunWithEmail } from './support/parked-run';

const MARKER = 'webui-2b7f19-dave@example.com';
const keyring = new Keyring([{ id: 'webui', key: crypto.randomBytes(32) }]);

let env: TestEnv;
// As test-env.ts: a call cut off by the close is not retried onto the closed channel.
const uiRetry = closableRetry();
let temporal: RunningTemporal;
let uiUrl: string;
let uiEnv: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let dir: string;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: ${CHROMIUM_INSTALL}`);
  dir = await mkdtemp(path.join(tmpdir(), 'imex-codec-ui-'));
  const binary =
    findOnPath('temporal') ?? cachedGoBinary(temporalCliBuild, { binDir: imexPaths(loadConfig().IMEX_HOME).bin });
  const [port, uiPort] = [await freePort(), await freePort()];
  temporal = await startTemporalDevServer({
    binary: binary as string,
    port,
    uiPort,
    namespaces: [],
    logFile: path.join(dir, 'temporal.log'),
  });
  uiUrl = temporal.uiUrl as string;

  env = await openTestEnv();
  const connection = await Connection.connect({ address: temporal.address, interceptors: uiRetry.interceptors });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  uiEnv = {
    ...env,
    namespace: 'default',
    temporalAddress: temporal.address,
    connection,
    nativeConnection,
    client: new Client({ connection, namespace: 'default' }),
  };
  harness = await startImexHarness(uiEnv, { keyring, schedule: [3_600] });
  http = await new ScriptedHttpServer().start();
  api = await startApi(harness.store, harness.imex, {
    codecServer: { codec: new EncryptionCodec(keyring), corsOrigins: [uiUrl] },
  });

  browser = await chromium.launchPersistentContext(path.join(dir, 'chromium'), {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(45_000);
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await http?.stop();
  await harness?.stop();
  await uiEnv?.nativeConnection.close();
  if (uiEnv) await uiRetry.close(uiEnv.connection);
  await env?.close();
  await temporal?.process.stop(5_000);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens the run in the Web UI with `endpoint` as its codec endpoint (the UI keeps it in localStorage). */
async function openRun(workflowId: string, endpoint: string): Promise<void> {
  await page.goto(`${uiUrl}/namespaces/default/workflows`);
  // Runs in the page: the UI's persisted "Data Encoder" endpoint.
  await page.evaluate(`window.localStorage.setItem('endpoint', ${JSON.stringify(JSON.stringify(endpoint))})`);
  await page.goto(`${uiUrl}/namespaces/default/workflows/${workflowId}`);
  await page.getByText(workflowId).first().waitFor();
}

test('the Web UI shows a parked run decrypted with a payloads:read token, ciphertext without', async () => {
  const reader = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: ['payloads:read'] })).token;
  const other = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: ['dlqs:read'] })).token;
  const workflowId = await parkRunWithEmail(harness, http, '/ui', MARKER);
  const codecBase = api.url.replace(/\/api\/v2$/, '/codec');

  await openRun(workflowId, `${codecBase}/${reader}`);
  await page.getByText(MARKER).first().waitFor();
  await page.screenshot({ path: path.join(tmpdir(), 'imex-codec-web-ui.png'), fullPage: true });

  await openRun(workflowId, `${codecBase}/${other}`);
  // The UI says the codec refused and shows the payloads as stored: binary/encrypted, base64.
  await page.getByText('Codec Server could not connect').first().waitFor({ state: 'attached' });
  await page.getByText(Buffer.from('binary/encrypted').toString('base64')).first().waitFor();
  await page.screenshot({ path: path.join(tmpdir(), 'imex-codec-web-ui-refused.png'), fullPage: true });
  expect(await page.locator('body').innerText()).not.toContain(MARKER);
});
