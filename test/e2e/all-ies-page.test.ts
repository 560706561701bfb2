/**
 * The operator page's "All incomplete executions" view (issue 22) in a real browser (Debian's
 * Chromium, driven by playwright-core) against the real API, a real worker on the test stack and
 * a scripted HTTP service: IEs parked in two scenarios are listed together, filtered by one, two
 * of them selected and retried; then everything a query matches is deleted by a bulk operation,
 * after a confirmation that shows the dry run's count, and the Operations panel shows it reach
 * `completed` with a verdict per IE.
 *
 * Needs `/usr/bin/chromium` (`apt-get install -y chromium`).
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { waitFor } from '../../src/stack/wait';
import type { IncompleteExecutionDocument } from '../../src/store';
import { webhookTrigger } from '../helpers/blueprints';
import { waitForIeDocument } from '../helpers/ie-waits';
import type { ImexHarness } from '../helpers/imex-harness';
import type { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openPageStack, type PageStack } from './support/page-stack';

const SCREENSHOT_RETRIED = path.join(tmpdir(), 'imex-all-ies-retried.png');
const SCREENSHOT_CONFIRM = path.join(tmpdir(), 'imex-all-ies-confirm.png');
const SCREENSHOT_DELETED = path.join(tmpdir(), 'imex-all-ies-deleted.png');
const SCREENSHOT_PAUSED = path.join(tmpdir(), 'imex-all-ies-paused.png');
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

/** A scenario (storing IEs) whose module 2 posts to `path`, which answers 400 `error`: each run parks one IE. */
async function parkIn(name: string, path: string, error: string, runs: number) {
  http.script(path, { status: 400, body: { error } });
  const scenarioId = await harness.createScenario(
    {
      name,
      flow: [webhookTrigger, http.httpModule(2, path, { data: '{{1.order}}' })],
      metadata: { scenario: { dlq: true } },
    },
    name,
  );
  const ieIds: string[] = [];
  for (let order = 1; order <= runs; order++) {
    const run = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { order } });
    const ieId = (await harness.imex.scenarioRunResult(run.executionId)).parked[0]?.ieId as string;
    expect(ieId).toMatch(/^[0-9a-f]{32}$/);
    await waitForIe(ieId, 'the IE to wait', (d) => d.status === 'unresolved');
    ieIds.push(ieId);
  }
  return { scenarioId, ieIds };
}

function waitForIe(ieId: string, what: string, predicate: (doc: IncompleteExecutionDocument) => boolean) {
  return waitForIeDocument(harness.store, ieId, what, predicate);
}

const rows = () => page.locator('#all-rows tr');
const ieRow = (ieId: string) => page.locator(`#all-rows tr[data-dlq-id="${ieId}"]`);
const badge = (scope: ReturnType<Page['locator']>, text: string) =>
  scope.locator('.badge', { hasText: new RegExp(`^${text}$`) });

test('lists IEs across scenarios, filters by one, retries two selected, deletes all matching a query by a bulk operation', async () => {
  const crm = await parkIn('Orders to CRM', '/crm', 'unknown customer', 3);
  const erp = await parkIn('Invoices to ERP', '/erp', 'ledger closed', 2);

  await page.goto(pageUrl);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Use token' }).click();
  await page.getByRole('link', { name: 'All incomplete executions' }).click();
  await page.getByRole('heading', { name: 'All incomplete executions' }).waitFor();

  // Both scenarios' IEs in one list, each row naming its scenario.
  await expectRows([...crm.ieIds, ...erp.ieIds]);
  await ieRow(erp.ieIds[0] as string)
    .getByText('Invoices to ERP')
    .waitFor();
  await ieRow(crm.ieIds[0] as string)
    .getByText('unknown customer')
    .waitFor();

  // A filter the API refuses: its message names the field and the reason.
  await page.getByLabel('Failed module').fill('two');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: /Could not list incomplete executions: .*failedModuleId/ })
    .waitFor();
  await page.getByLabel('Failed module').fill('');

  // One scenario: its three IEs only; the filters are in the link.
  await page.getByRole('listbox', { name: 'Scenarios' }).selectOption({ label: `Orders to CRM #${crm.scenarioId}` });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expectRows(crm.ieIds);
  expect(new URL(page.url()).hash).toContain(`scenarioId=${crm.scenarioId}`);

  // Select all on the page, then clear; select two and retry them once the service recovers.
  await page.getByLabel('Select all on this page').check();
  await page.getByText('3 selected').waitFor();
  await page.getByRole('button', { name: 'Clear selection' }).click();
  await page.getByText('None selected').waitFor();
  const [first, second, third] = crm.ieIds as [string, string, string];
  await page.getByLabel(`Select incomplete execution ${first}`).check();
  await page.getByLabel(`Select incomplete execution ${second}`).check();
  await page.getByText('2 selected').waitFor();
  http.script('/crm', { status: 200, body: { id: 'c-1' } });
  await page.getByLabel('Reason', { exact: true }).fill('CRM is back');
  await page.getByRole('button', { name: 'Retry selected…' }).click();
  await page.getByRole('dialog').getByText('Retry 2 selected incomplete execution(s) in 1 scenario(s)?').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Retry selected' }).click();
  await page.getByText('Retry selected: 2 attempt(s) started').waitFor();
  await badge(ieRow(first), 'resolved').waitFor({ timeout: 60_000 });
  await badge(ieRow(second), 'resolved').waitFor({ timeout: 60_000 });
  await badge(ieRow(third), 'unresolved').waitFor();
  expect((await harness.store.incompleteExecutions.get(third))?.status).toBe('unresolved');
  // Each IE's change log keeps who asked and why.
  for (const id of [first, second]) {
    const { changes } = await harness.store.ieChanges.page(id, 0, 10);
    expect(changes.map((c) => [c.kind, c.reason])).toContainEqual(['retry', 'CRM is back']);
  }
  await page.getByLabel('Reason', { exact: true }).fill('');
  await page.screenshot({ path: SCREENSHOT_RETRIED, fullPage: true });

  // Everything a query matches: the ERP scenario's IEs whose message says "ledger".
  await page.getByRole('listbox', { name: 'Scenarios' }).selectOption({ label: `Invoices to ERP #${erp.scenarioId}` });
  await page.getByLabel('Message contains').fill('LEDGER');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expectRows(erp.ieIds);
  await page.getByRole('button', { name: 'Delete all matching…' }).click();
  const dialog = page.getByRole('dialog');
  await dialog
    .getByText('Delete all 2 incomplete execution(s) matching: scenario Invoices to ERP; message contains “LEDGER”?')
    .waitFor();
  for (const id of erp.ieIds) await dialog.getByText(id.slice(0, 12)).waitFor();
  await page.screenshot({ path: SCREENSHOT_CONFIRM, fullPage: true });
  // Cancelled: nothing happens.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  expect((await harness.store.incompleteExecutions.get(erp.ieIds[0] as string))?.deleted).toBe(false);

  await page.getByRole('button', { name: 'Delete all matching…' }).click();
  await dialog.getByRole('button', { name: 'Delete 2' }).click();
  const operation = page.locator('#operation-rows tr', { hasText: 'delete' });
  await badge(operation, 'completed').waitFor({ timeout: 60_000 });
  await operation.getByText('2 of 2 · applied 2 · skipped 0 · failed 0').waitFor();
  const results = page.locator('#operation-item-rows tr');
  await badge(results, 'applied').first().waitFor();
  expect(await results.count()).toBe(2);
  for (const id of erp.ieIds) {
    await badge(page.locator(`#operation-item-rows tr[data-dlq-id="${id}"]`), 'applied').waitFor();
    await waitForIe(id, 'the IE to be deleted', (d) => d.deleted);
  }
  await page.getByLabel('Verdict').selectOption('failed');
  await page.getByText('No results yet.').waitFor();
  await page.getByLabel('Verdict').selectOption('applied');
  await results.nth(1).waitFor();
  // The list shows what is left: nothing matches any more; the CRM scenario's IEs are untouched.
  await page.locator('#all-empty', { hasText: 'No incomplete executions match.' }).waitFor();
  expect((await harness.store.incompleteExecutions.get(third))?.deleted).toBe(false);
  expect(new URL(page.url()).hash).toMatch(/op=/);
  await page.screenshot({ path: SCREENSHOT_DELETED, fullPage: true });
});

/** The list shows exactly these IEs (in any order). */
async function expectRows(ieIds: string[]) {
  await waitFor(
    `the list to show ${ieIds.length} IE(s)`,
    async () => {
      const shown = await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-dlq-id')));
      return shown.length === ieIds.length && ieIds.every((id) => shown.includes(id)) ? shown : undefined;
    },
    { timeoutMs: UI_TIMEOUT_MS, intervalMs: 100 },
  );
}

test('a link opens the filtered view; a running retry by query pauses, resumes and cancels, and a stale button shows the 409', async () => {
  const slow = await parkIn('Ledger sync', '/ledger', 'ledger busy', 4);
  // The attempts hang: the operation keeps running (it waits for the attempts it starts).
  http.script('/ledger', { status: 0, hang: true });

  await page.goto(`${pageUrl}#view=all&scenarioId=${slow.scenarioId}`);
  await expectRows(slow.ieIds);
  expect(
    await page
      .getByRole('listbox', { name: 'Scenarios' })
      .evaluate((s) =>
        [...(s as never as { selectedOptions: { textContent: string }[] }).selectedOptions].map((o) => o.textContent),
      ),
  ).toEqual([`Ledger sync #${slow.scenarioId}`]);

  await page.getByRole('button', { name: 'Retry all matching…' }).click();
  await page
    .getByRole('dialog')
    .getByText('Retry all 4 incomplete execution(s) matching: scenario Ledger sync?')
    .waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Retry 4' }).click();
  const operation = page.locator('#operation-rows tr', { hasText: 'retry' });
  await badge(operation, 'running').waitFor();
  const operationId = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('op') as string;
  expect(operationId).toMatch(/^[0-9a-f]{32}$/);

  await operation.getByRole('button', { name: 'Pause' }).click();
  await badge(operation, 'paused').waitFor();
  await operation.getByRole('button', { name: 'Resume' }).click();
  await badge(operation, 'running').waitFor();
  await operation.getByRole('button', { name: 'Pause' }).click();
  await badge(operation, 'paused').waitFor();
  await page.screenshot({ path: SCREENSHOT_PAUSED, fullPage: true });

  // Cancelled elsewhere (another operator, the CLI): the page still offers Resume, and says why it cannot.
  const cancelled = await stack.api.call('POST', `/dlqs/operations/${operationId}/cancel`, { token });
  expect(cancelled.status).toBe(200);
  await operation.getByRole('button', { name: 'Resume' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: new RegExp(`Could not resume operation ${operationId.slice(0, 12)}: .*\\(409 IM_CONFLICT\\)`) })
    .waitFor();
  await badge(operation, 'cancelled').waitFor();
  await expect(operation.getByRole('button', { name: /Pause|Resume|Cancel/ }).count()).resolves.toBe(0);

  // The service goes away: the hanging attempts fail while the worker still runs their workflows,
  // and the operation's page, which waits for the attempts it started, ends before the worker drains.
  await http.stop();
  const { items } = (await stack.api.call('GET', `/dlqs/operations/${operationId}/items`, { token })).body as {
    items: { dlqId: string; verdict: string }[];
  };
  const started = items.filter((i) => i.verdict === 'applied').map((i) => i.dlqId);
  expect(started.length).toBeGreaterThan(0);
  for (const id of started) {
    await waitForIe(
      id,
      'the attempt to end',
      (d) => d.attempts > 0 && d.status !== 'in_progress' && d.status !== 'pending',
    );
  }
});
