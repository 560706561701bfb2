/**
 * API hardening (docs/security.md#api-hardening) on a real API over the real store: bad tokens
 * are limited per client (429 with Retry-After once over the limit, good tokens and the operations
 * routes untouched), and every answer carries helmet's security headers, the web page's CSP among them.
 */
import { createStore, ensureIndexes, type Store } from '../../src/store';
import { contentSecurityPolicy } from '../../src/api/security-headers';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { noIncompleteExecutionRequests, startApi, type RunningApi } from './support/api';

let env: TestEnv;
let store: Store;
let api: RunningApi;
let good: string;
let scenarios: string;

beforeAll(async () => {
  env = await openTestEnv();
  store = createStore(env.db);
  await ensureIndexes(store);
  // The default limit: 20 failures a minute per client.
  api = await startApi(store, {
    ...noIncompleteExecutionRequests,
    startScenarioRun: () => Promise.reject(new Error('no runs here')),
  });
  const org = await store.organizations.create({ name: 'Acme' });
  good = (await store.apiTokens.create({ orgId: org._id, scopes: ['scenarios:read'] })).token;
  scenarios = '/scenarios';
});

afterAll(async () => {
  await api?.close();
  await env?.close();
});

const origin = () => new URL(api.url).origin;

test('answers carry the security headers; the web page keeps its own-origin CSP', async () => {
  const page = await fetch(`${origin()}/ui/`);
  expect(page.status).toBe(200);
  const csp = page.headers.get('content-security-policy') ?? '';
  for (const directive of ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
    expect(csp).toContain(directive);
  }
  expect(Object.keys(contentSecurityPolicy.directives)).toHaveLength(csp.split(';').length);
  const listed = await api.call('GET', scenarios, { token: good });
  const unauthorized = await fetch(`${api.url}/scenarios`);
  for (const headers of [page.headers, unauthorized.headers]) {
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
  }
  expect(listed.status).toBe(200);
  expect(unauthorized.status).toBe(401);
});

test('bad tokens are limited per client: 429 with Retry-After past 20 a minute; good tokens and operations untouched', async () => {
  const statuses: number[] = [];
  let limited: Response | undefined;
  for (let i = 0; i < 30; i++) {
    const response = await fetch(`${api.url}/scenarios?teamId=1`, {
      headers: { authorization: `Token imex_guess${String(i).padStart(38, '0')}` },
    });
    statuses.push(response.status);
    if (response.status === 429) limited ??= response;
    else await response.arrayBuffer();
  }
  // The earlier tests' one failure counts too: the 20th failure is the last 401.
  expect(statuses.filter((s) => s === 401)).toHaveLength(19);
  expect(statuses.slice(19).every((s) => s === 429)).toBe(true);
  const retryAfter = Number(limited?.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(await limited?.json()).toMatchObject({
    code: 'IM_TOO_MANY_AUTH_FAILURES',
    message: expect.stringMatching(/too many requests with a missing or invalid token/) as unknown,
  });
  // A missing header is a failure too.
  expect((await fetch(`${api.url}/scenarios?teamId=1`)).status).toBe(429);

  expect((await api.call('GET', scenarios, { token: good })).status).toBe(200);
  expect((await fetch(`${origin()}/health/live`)).status).toBe(200);
  expect((await fetch(`${origin()}/metrics`)).status).toBe(200);
});

test('the limit is configurable, and 0 turns it off', async () => {
  const strict = await startApi(
    store,
    noIncompleteExecutionRequests as never,
    {},
    {
      authFailureLimit: { max: 2, timeWindowMs: 60_000 },
    },
  );
  const off = await startApi(
    store,
    noIncompleteExecutionRequests as never,
    {},
    {
      authFailureLimit: { max: 0, timeWindowMs: 60_000 },
    },
  );
  try {
    const bad = { token: 'imex_wrong' };
    const strictStatuses = [];
    for (let i = 0; i < 3; i++) strictStatuses.push((await strict.call('GET', '/scenarios?teamId=1', bad)).status);
    expect(strictStatuses).toEqual([401, 401, 429]);
    const offStatuses = new Set<number>();
    for (let i = 0; i < 25; i++) offStatuses.add((await off.call('GET', '/scenarios?teamId=1', bad)).status);
    expect([...offStatuses]).toEqual([401]);
  } finally {
    await strict.close();
    await off.close();
  }
});
