/**
 * What the operator page's browser tests run on: the test stack with a worker (auto-retries an hour
 * away, so attempts happen only when the page asks), a scripted HTTP service, the real API with a
 * token of every scope, and Debian's Chromium (`/usr/bin/chromium`, a registry package; nothing is
 * downloaded by a test tool) driven by playwright-core: one headless persistent context whose page
 * records its script errors and Content-Security-Policy refusals.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_INSTALL, CHROMIUM_PATH } from '../../helpers/ensure-chromium';
import { startImexHarness, type ImexHarness } from '../../helpers/imex-harness';
import { ScriptedHttpServer } from '../../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../../helpers/test-env';
import { allScopes, startApi, type RunningApi } from './api';

const SCHEDULE = Array.from({ length: 8 }, () => 3_600_000);

export interface PageBrowser {
  context: BrowserContext;
  page: Page;
  /** Script errors and console errors the page ran into (a test expects none). */
  problems: string[];
  close(): Promise<void>;
}

export async function openPageBrowser(options: { timeoutMs: number }): Promise<PageBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: ${CHROMIUM_INSTALL}`);
  }
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'imex-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(options.timeoutMs);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // 4xx answers are logged by the browser as "Failed to load resource"; the page shows them.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${message.text()}`);
    }
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface PageStack {
  env: TestEnv;
  harness: ImexHarness;
  http: ScriptedHttpServer;
  api: RunningApi;
  /** A token of every scope in the harness's organization. */
  token: string;
  /** e.g. `http://127.0.0.1:41234/ui/` */
  pageUrl: string;
  browser: PageBrowser;
  page: Page;
  close(): Promise<void>;
}

export async function openPageStack(options: { timeoutMs: number }): Promise<PageStack> {
  const env = await openTestEnv();
  const harness = await startImexHarness(env, { schedule: SCHEDULE });
  const http = await new ScriptedHttpServer().start();
  const api = await startApi(harness.store, harness.imex);
  const token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;
  const browser = await openPageBrowser(options);
  return {
    env,
    harness,
    http,
    api,
    token,
    pageUrl: api.url.replace(/\/api\/v2$/, '/ui/'),
    browser,
    page: browser.page,
    async close() {
      await browser.close();
      // First the server a hanging attempt waits on: its request fails, the worker can drain.
      await http.stop();
      await api.close();
      await harness.stop();
      await env.close();
    },
  };
}
