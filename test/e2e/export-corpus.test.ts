/**
 * The corpus of Make-shaped exports in test/fixtures/exports/: each is created through the API as a
 * Make export (`{ blueprint, scheduling }` text, as the CLI sends a file), so it is validated and its
 * scheduling applied, then run end to end on a real worker against a real local HTTP service that
 * checks credentials. The last one parks an IE (a rotated password), which is resolved after a fix:
 * a new connection, patched into the IE's blueprint.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { waitForIeDocument } from '../helpers/ie-waits';
import type { Blueprint } from '../../src/domain';
import { startApi, type RunningApi } from './support/api';

const corpus = path.resolve(__dirname, '../fixtures/exports');

let env: TestEnv;
let harness: ImexHarness;
let api: RunningApi;
let token: string;
let service: http.Server;
let serviceUrl: string;
const received: { path: string; body: unknown }[] = [];
const connections: Record<string, number> = {};
const basicPassword = 'p4ss-current';
const apiKey = 'corpus-key-42';

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env);
  api = await startApi(harness.store, harness.imex, { triggers: harness.imex });
  token = (
    await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: ['scenarios:read', 'scenarios:write'] })
  ).token;
  // A service that checks credentials on /auth/… and records every JSON body it accepts.
  service = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const expectedBasic = `Basic ${Buffer.from(`corpus:${basicPassword}`).toString('base64')}`;
      const authorized =
        url.pathname === '/auth/basic'
          ? req.headers['authorization'] === expectedBasic
          : url.pathname === '/auth/key'
            ? req.headers['x-api-key'] === apiKey
            : true;
      if (authorized)
        received.push({ path: url.pathname, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') });
      res.writeHead(authorized ? 200 : 401, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  const store = harness.store.connections;
  connections.__BASIC_CONNECTION__ = (
    await store.create(harness.orgId, 'basic', { type: 'basicauth', username: 'corpus', password: basicPassword })
  ).id;
  connections.__KEY_CONNECTION__ = (
    await store.create(harness.orgId, 'key', {
      type: 'apikeyauth',
      key: apiKey,
      placement: 'header',
      name: 'X-API-Key',
    })
  ).id;
  connections.__OLD_CONNECTION__ = (
    await store.create(harness.orgId, 'old', { type: 'basicauth', username: 'corpus', password: 'p4ss-rotated-away' })
  ).id;
});
afterAll(async () => {
  await api?.close();
  await harness?.stop();
  await new Promise((resolve) => service?.close(resolve));
  await env?.close();
});

/** The export's text with this test's service URL and connection ids in place of the placeholders. */
function exportText(file: string): string {
  let text = fs
    .readFileSync(path.join(corpus, file), 'utf8')
    .split('http://service.imex-test.invalid')
    .join(serviceUrl);
  for (const [placeholder, id] of Object.entries(connections)) text = text.split(`"${placeholder}"`).join(String(id));
  return text;
}

/** Creates the export through the API (validated, scheduling applied) and runs it with `data`. */
async function runExport(file: string, data: unknown) {
  const created = await api.call('POST', '/scenarios', { token, body: { blueprint: exportText(file) } });
  expect([file, created.status, created.body.detail]).toEqual([file, 200, undefined]);
  const scenario = created.body.scenario as { id: number; scheduling?: unknown };
  // Active for on-demand runs; its Temporal Schedule stays paused, so no occurrence runs mid-test.
  await harness.store.scenarios.update(harness.orgId, scenario.id, { isActive: true });
  const { executionId } = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId: scenario.id, data });
  return { scenario, result: await harness.imex.scenarioRunResult(executionId) };
}

const bodiesAt = (at: string) => received.filter((r) => r.path === at).map((r) => r.body);

/** Each export with its input and what the service must have received. */
const cases: { file: string; data: unknown; path: string; bodies: unknown[] }[] = [
  {
    file: '01-create-json-order.json',
    data: { name: 'ada', qty: 3, price: 2.5, items: [1, 2] },
    path: '/orders',
    bodies: [{ customer: 'ADA', total: 7.5, lines: 2 }],
  },
  {
    file: '02-transform-to-json.json',
    data: { order: { id: 7, lines: [{ sku: 'A' }] } },
    path: '/forward',
    bodies: [{ id: 7, lines: [{ sku: 'A' }] }],
  },
  {
    file: '03-regexp-parser-global.json',
    data: { message: 'ship ABC-12 and XYZ-7, not ab-1' },
    path: '/skus',
    bodies: [
      { sku: 'ABC', number: 12, match: 1 },
      { sku: 'XYZ', number: 7, match: 2 },
    ],
  },
  {
    file: '04-regexp-parser-continue.json',
    data: { subject: 'printer is broken' },
    path: '/tickets',
    bodies: [{ ticket: 'new' }],
  },
  {
    file: '05-regexp-replace-mask.json',
    data: { note: 'card 4111111111111111 then 5500000000000004' },
    path: '/notes',
    bodies: [{ note: 'card ************1111 then ************0004' }],
  },
  {
    file: '06-parse-then-create.json',
    data: { payload: '{"id":"o-1","tags":["a","b","c"]}' },
    path: '/reshaped',
    bodies: [{ id: 'o-1', tags: 'a,b,c', count: 3 }],
  },
  {
    file: '07-multiline-case-insensitive.json',
    data: { raw: 'From: Ada <ada@example.com>\nSubject: hi\nTO:  bob@example.com ' },
    path: '/headers',
    bodies: [
      { field: 'from', value: 'Ada <ada@example.com>' },
      { field: 'to', value: 'bob@example.com' },
    ],
  },
  {
    file: '08-basic-auth.json',
    data: { report: 'weekly', at: '2026-03-04T10:00:00Z' },
    path: '/auth/basic',
    bodies: [{ report: 'weekly', at: '2026-03-04' }],
  },
  {
    file: '09-api-key-auth.json',
    data: { title: 'Hello  Big World' },
    path: '/auth/key',
    bodies: [{ slug: 'hello-big-world' }],
  },
  {
    file: '10-scheduled-office-hours.json',
    data: { items: [1, 2] },
    path: '/digest',
    bodies: [{ digest: [1, 2] }],
  },
];

test('the corpus holds at least 10 exports, each covered here', () => {
  const files = fs.readdirSync(corpus).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThanOrEqual(10);
  expect(files.sort()).toEqual([...cases.map((c) => c.file), '11-fix-and-resolve.json'].sort());
});

test.each(cases)('$file validates and runs end to end', async ({ file, data, path: at, bodies }) => {
  const before = bodiesAt(at).length;
  const { result } = await runExport(file, data);
  expect(result).toMatchObject({ status: 'success', parked: [] });
  expect(bodiesAt(at).slice(before)).toEqual(bodies);
});

test("an export's scheduling comes with it", async () => {
  const created = await api.call('POST', '/scenarios', {
    token,
    body: { blueprint: exportText('10-scheduled-office-hours.json') },
  });
  expect(created.body.scenario.scheduling).toEqual({
    type: 'indefinitely',
    interval: 900,
    restrict: [{ days: [1, 2, 3, 4, 5], time: ['09:00', '17:00'] }],
  });
});

test('11-fix-and-resolve.json parks an IE on a rotated password; resolved with a new connection, it sends once', async () => {
  const before = bodiesAt('/auth/basic').length;
  const { scenario, result } = await runExport('11-fix-and-resolve.json', { user: 'grace' });
  expect(result.parked).toHaveLength(1);
  const ieId = result.parked[0]?.ieId as string;
  const parked = await waitForIeDocument(harness.store, ieId, 'the IE stored', (d) => d.status === 'unresolved');
  expect(parked.error).toMatchObject({ type: 'InvalidAccessTokenError' });

  // The fix: a connection with the current password, patched into the IE's blueprint.
  const fixed = await harness.store.connections.create(harness.orgId, 'rotated', {
    type: 'basicauth',
    username: 'corpus',
    password: basicPassword,
  });
  const blueprint = (await harness.store.scenarios.get(harness.orgId, scenario.id))?.blueprint as Blueprint;
  const flow = blueprint.flow.map((m) => (m.id === 3 ? { ...m, parameters: { ...m.parameters, key: fixed.id } } : m));
  await harness.imex.requestIncompleteExecution(ieId, 'resolve', { blueprint: { ...blueprint, flow } });
  await waitForIeDocument(harness.store, ieId, 'the IE resolved', (d) => d.resolved);
  // Modules before the failed one never ran again: module 2's stored bundle was sent, once.
  expect(bodiesAt('/auth/basic').slice(before)).toEqual([{ user: 'grace' }]);
});
