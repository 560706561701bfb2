/**
 * The operator page in a real browser (Debian's Chromium, driven by playwright-core) against the
 * real API, a real worker on the test stack and a scripted HTTP service: an IE parks, the page
 * lists it, shows its bundle, retries it once the service recovers and shows it resolved; a retry
 * while an attempt hangs shows the API's 409 message, and a bad token its 401 message.
 *
 * Needs `/usr/bin/chromium` (`apt-get install -y chromium`).
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { blueprintSchema } from '../../src/domain';
import { waitFor } from '../../src/stack/wait';
import type { IncompleteExecutionDocument } from '../../src/store';
import { webhookTrigger } from '../helpers/blueprints';
import type { ImexHarness } from '../helpers/imex-harness';
import type { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openPageStack, type PageStack } from './support/page-stack';

const SCREENSHOT = path.join(tmpdir(), 'imex-web-page.png');
const SCREENSHOT_FIX = path.join(tmpdir(), 'imex-web-page-fix.png');
const SCREENSHOT_RESOLVED = path.join(tmpdir(), 'imex-web-page-fixed.png');
const UI_TIMEOUT_MS = 30_000;

let stack: PageStack;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let token: string;
let pageUrl: string;
let page: Page;

beforeAll(async () => {
  stack = await openPageStack({ timeoutMs: UI_TIMEOUT_MS });
  ({ harness, http, token, pageUrl, page } = stack);
});

afterAll(async () => {
  await stack?.close();
});

afterEach(() => {
  expect(stack.browser.problems).toEqual([]);
});

/** A scenario (storing IEs) whose module 2 posts to `path`, run once: HTTP 400 parks one IE. */
async function parkOne(path: string, name: string): Promise<{ scenarioId: number; ieId: string }> {
  http.script(path, { status: 400, body: { error: 'unknown customer' } });
  const blueprint = {
    name,
    flow: [webhookTrigger, http.httpModule(2, path, { data: '{{1.order}}' })],
    metadata: { scenario: { dlq: true } },
  };
  const scenarioId = await harness.createScenario(blueprint, name);
  const run = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { order: 4711 } });
  const result = await harness.imex.scenarioRunResult(run.executionId);
  const ieId = result.parked[0]?.ieId as string;
  expect(ieId).toMatch(/^[0-9a-f]{32}$/);
  await waitForIe(ieId, 'the IE to wait', (d) => d.status === 'unresolved');
  return { scenarioId, ieId };
}

function waitForIe(ieId: string, what: string, predicate: (doc: IncompleteExecutionDocument) => boolean) {
  return waitFor(
    what,
    async () => {
      const doc = await harness.store.incompleteExecutions.get(ieId);
      return doc && predicate(doc) ? doc : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** The row of one IE in the list, and its status badge once it reads exactly `status`. */
const ieRow = (ieId: string) => page.locator(`tr[data-dlq-id="${ieId}"]`);
const badge = (scope: ReturnType<Page['locator']>, status: string) =>
  scope.locator('.badge', { hasText: new RegExp(`^${status}$`) });

async function openIe(scenarioName: string, ieId: string): Promise<void> {
  await page.getByRole('button', { name: scenarioName, exact: true }).click();
  await page.getByRole('heading', { name: `Incomplete executions of ${scenarioName}` }).waitFor();
  await page.getByRole('button', { name: `Open incomplete execution ${ieId}` }).click();
  await page.locator('#detail-id', { hasText: ieId }).waitFor();
}

test('serves the page without a token, with a strict Content-Security-Policy; / leads to it', async () => {
  const html = await fetch(pageUrl);
  expect(html.status).toBe(200);
  expect(html.headers.get('content-type')).toContain('text/html');
  expect(html.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(await html.text()).toContain('<script type="module" src="/ui/app.js">');
  for (const [file, type] of [
    ['app.js', 'text/javascript'],
    ['ui.js', 'text/javascript'],
    ['fix.js', 'text/javascript'],
    ['all-ies.js', 'text/javascript'],
    ['ie-filters.js', 'text/javascript'],
    ['bulk-operations.js', 'text/javascript'],
    ['app.css', 'text/css'],
  ]) {
    const response = await fetch(`${pageUrl}${file}`);
    expect({ file, status: response.status, type: response.headers.get('content-type') }).toEqual({
      file,
      status: 200,
      type: expect.stringContaining(type as string),
    });
  }
  const root = await fetch(pageUrl.replace(/ui\/$/, ''), { redirect: 'manual' });
  expect(root.status).toBe(302);
  expect(root.headers.get('location')).toBe('/ui/');
});

test('lists a parked IE, shows its bundle, retries it once the service recovers and shows it resolved', async () => {
  const name = 'Orders to CRM';
  const { ieId } = await parkOne('/crm', name);

  await page.goto(pageUrl);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Use token' }).click();
  const scenarioRow = page.locator('tr', { has: page.getByRole('button', { name, exact: true }) });
  await scenarioRow.locator('td.num', { hasText: /^1$/ }).waitFor();

  await openIe(name, ieId);
  await badge(ieRow(ieId), 'unresolved').waitFor();
  await ieRow(ieId).getByText('DataError').waitFor();
  await page.locator('#detail-reason', { hasText: '400' }).waitFor();
  // Make's bundle shape: module 1's output, and module 2's error.
  await page.getByLabel('Bundle as JSON').filter({ hasText: '"order": 4711' }).waitFor();
  await page.getByLabel('Bundle as JSON').filter({ hasText: '"type": "DataError"' }).waitFor();
  await page.getByText('No attempts yet.').waitFor();

  // The failed run, and back: its operations and the IE it parked, which opens the IE again.
  const executionId = (await harness.store.incompleteExecutions.get(ieId))?.executionId as string;
  await page.locator('#open-run').click();
  await page.locator('#run-id', { hasText: executionId }).waitFor();
  await page
    .locator('#run-operation-rows tr', { hasText: '2 · http:ActionSendData' })
    .getByText('DataError: ')
    .waitFor();
  await badge(page.locator('#run-fields'), 'warning').waitFor();
  await page.locator('#run-dlq-rows').getByRole('button', { name: ieId }).click();
  await page.locator('#detail-id', { hasText: ieId }).waitFor();

  http.script('/crm', { status: 200, body: { id: 'c-1' } });
  await page.getByRole('button', { name: 'Retry', exact: true }).click();
  await badge(ieRow(ieId), 'resolved').waitFor({ timeout: 60_000 });
  await badge(page.locator('#detail-fields'), 'resolved').waitFor();
  await badge(page.locator('#log-rows'), 'success').waitFor();
  await scenarioRow.locator('td.num', { hasText: /^0$/ }).waitFor();
  expect((await harness.store.incompleteExecutions.get(ieId))?.status).toBe('resolved');
  expect(http.count('/crm')).toBe(2);
  await page.getByText('Resolved: the bundles were removed, only the error is kept.').waitFor();

  await page.getByRole('button', { name: 'Module log' }).click();
  await page.locator('tr.module-log', { hasText: 'http:ActionSendData' }).waitFor();
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});

test('shows the 409 when an attempt is in progress, and the 401 of a bad token', async () => {
  const name = 'Invoices';
  const { ieId } = await parkOne('/invoices', name);
  http.script('/invoices', { status: 0, hang: true });

  // The token typed in the first test is kept by the browser.
  await page.goto(pageUrl);
  await openIe(name, ieId);
  await page.getByRole('button', { name: 'Retry', exact: true }).click();
  await badge(page.locator('#detail-fields'), 'in progress').waitFor();
  await waitForIe(ieId, 'the attempt to hang', (d) => d.status === 'in_progress');

  await page.getByRole('button', { name: 'Retry', exact: true }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: `Retry refused: incomplete execution ${ieId}: an attempt is in progress (409 IM_CONFLICT)` })
    .waitFor();

  // Retry all asks first; confirmed, the bulk answer says which were refused and why.
  await page.getByRole('button', { name: 'Retry all…' }).click();
  await page.getByRole('dialog').getByText(`Retry every unresolved incomplete execution of “${name}”`).waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await page.getByRole('button', { name: 'Retry all…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Retry all' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: 'Retry all: 0 attempt(s) started, 1 refused (an attempt is in progress)' })
    .waitFor();

  await page.getByLabel('API token').fill('imex_not-a-token');
  await page.getByRole('button', { name: 'Use token' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: 'Could not list scenarios: invalid or revoked token (401 IM_UNAUTHORIZED)' })
    .waitFor();
});

test('edits a stored bundle (validation messages under the module), shows the blueprint diff and the plan, saves and retries from the start: resolved', async () => {
  const name = 'Orders fixed by hand';
  http.script('/fix/b', { status: 400, body: { error: 'order 4711 unknown' } });
  const flow = [
    webhookTrigger,
    http.httpModule(2, '/fix/a', { method: 'get' }),
    http.httpModule(3, '/fix/b', { method: 'post', data: '{{1.order}}' }),
  ];
  const scenarioId = await harness.createScenario({ name, flow, metadata: { scenario: { dlq: true } } }, name);
  const run = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { order: 4711 } });
  const ieId = (await harness.imex.scenarioRunResult(run.executionId)).parked[0]?.ieId as string;
  await waitForIe(ieId, 'the IE to wait', (d) => d.status === 'unresolved');
  // The scenario changed since: module 2 now reads another path (the diff shows it; this retry keeps the stored one).
  const current = { name, flow: [...flow], metadata: { scenario: { dlq: true } } };
  current.flow[1] = http.httpModule(2, '/fix/a2', { method: 'get' });
  await harness.store.scenarios.update(harness.orgId, scenarioId, { blueprint: blueprintSchema.parse(current) });

  await page.goto(pageUrl);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Use token' }).click();
  await openIe(name, ieId);
  const editor = page.getByLabel('Module 1 bundle (JSON)');
  await editor.waitFor();
  expect(JSON.parse(await editor.inputValue())).toEqual({ order: 4711 });
  await page
    .locator('#blueprint-diff', {
      hasText: `~ module 2 mapper.url: "${http.url('/fix/a')}" → "${http.url('/fix/a2')}"`,
    })
    .waitFor();

  // Not JSON: the page says so under the module and sends nothing.
  await editor.fill('{ "order": ');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#bundle-error-1', { hasText: 'not valid JSON' }).waitFor();
  // JSON the API refuses: its message, by path, under the module.
  await editor.fill('[42]');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('#bundle-error-1', { hasText: 'bundles.1.value: must be a JSON object' }).waitFor();
  expect(JSON.parse((await harness.store.incompleteExecutions.get(ieId))?.context ?? '{}')['1']).toEqual({
    order: 4711,
  });

  await editor.fill('{ "order": 42 }');
  await page.getByLabel('Reason (kept in the change log)').fill('order number typo');
  await page.getByLabel('Start at').selectOption({ label: "the start (the trigger's stored bundle)" });
  const plan = page.locator('#plan');
  await plan.locator('li', { hasText: 'module 2 http:ActionSendData' }).waitFor();
  await plan.locator('li', { hasText: 'module 3 http:ActionSendData' }).getByText('not idempotent').waitFor();
  await plan.getByText('Warning: module 3 (http:ActionSendData) runs again and is not idempotent').waitFor();
  await page.screenshot({ path: SCREENSHOT_FIX, fullPage: true });

  http.script('/fix/b', { status: 200, body: { id: 'o-42' } });
  const calls = { a: http.count('/fix/a'), b: http.count('/fix/b') };
  await page.getByRole('button', { name: 'Save and retry' }).click();
  await badge(page.locator('#detail-fields'), 'resolved').waitFor({ timeout: 60_000 });
  await badge(ieRow(ieId), 'resolved').waitFor();
  // The plan ran: module 2 again and module 3 once, with the edited bundle; the current blueprint's path not at all.
  expect(http.count('/fix/a') - calls.a).toBe(1);
  expect(http.count('/fix/b') - calls.b).toBe(1);
  expect(http.count('/fix/a2')).toBe(0);
  expect(http.requestsTo('/fix/b').at(-1)?.body).toBe('42');
  const { changes } = await harness.store.ieChanges.page(ieId, 0, 10);
  expect(changes.map((c) => [c.kind, c.reason])).toEqual([
    ['retry', 'order number typo'],
    ['patch', 'order number typo'],
  ]);
  await page.screenshot({ path: SCREENSHOT_RESOLVED, fullPage: true });
});
