/**
 * Hostile input never blocks or corrupts: prototype and `$` keys wherever user JSON enters,
 * bodies over the limit, huge blueprints, object-syntax queries and non-canonical ids. Real HTTP
 * against the real API, an IE parked by a real worker on the real Temporal dev server.
 */
import { webhookTrigger } from '../helpers/blueprints';
import { startImexHarness, type ImexHarness } from '../helpers/imex-harness';
import { writtenThroughByWorkflow, waitForIeDocument } from '../helpers/ie-waits';
import { ScriptedHttpServer } from '../helpers/scripted-http-server';
import { openTestEnv, type TestEnv } from '../helpers/test-env';
import { BLUEPRINT_MAX_MODULES } from '../../src/domain';
import { DEFAULT_API_BODY_LIMIT } from '../../src/api/server';
import { allScopes, startApi, type ApiResponse, type RunningApi } from './support/api';

let env: TestEnv;
let harness: ImexHarness;
let http: ScriptedHttpServer;
let api: RunningApi;
let token: string;
let scenarioId: number;
let hookPath: string;
let ieId: string;
let bundleBefore: unknown;

beforeAll(async () => {
  env = await openTestEnv();
  harness = await startImexHarness(env, { schedule: Array.from({ length: 8 }, () => 3_600_000) });
  http = await new ScriptedHttpServer().start();
  api = await startApi(harness.store, harness.imex, { webhooks: harness.imex, triggers: harness.imex });
  token = (await harness.store.apiTokens.create({ orgId: harness.orgId, scopes: allScopes })).token;

  // A webhook scenario whose module 2 gets HTTP 400 (DataError): each run parks an IE that waits.
  http.script('/hostile', { status: 400, body: { error: 'bad request' } });
  const created = await call('POST', '/scenarios', {
    name: 'hostile',
    blueprint: {
      name: 'hostile',
      flow: [webhookTrigger, http.httpModule(2, '/hostile', { data: '{{1.n}}' })],
      metadata: { scenario: { dlq: true } },
    },
  });
  expect(created.status).toBe(200);
  scenarioId = created.body.scenario.id;
  hookPath = created.body.scenario.hookPath;
  expect((await call('POST', `/scenarios/${scenarioId}/start`)).status).toBe(200);
  const run = await harness.imex.startScenarioRun({ orgId: harness.orgId, scenarioId, data: { n: 1 } });
  const result = await harness.imex.scenarioRunResult(run.executionId);
  ieId = result.parked[0]?.ieId as string;
  await waitForIeDocument(
    harness.store,
    ieId,
    'the IE to wait',
    (d) => d.status === 'unresolved' && writtenThroughByWorkflow(d),
  );
  bundleBefore = (await call('GET', `/dlqs/${ieId}/bundle`)).body;
});

afterAll(async () => {
  await http?.stop();
  await api?.close();
  await harness?.stop();
  await env?.close();
});

function call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return api.call(method, path, { token, ...(body === undefined ? {} : { body }) });
}

function raw(method: string, path: string, text: string): Promise<ApiResponse> {
  return api.call(method, path, { token, rawBody: text });
}

async function postHook(text: string): Promise<ApiResponse> {
  const response = await fetch(`${new URL(api.url).origin}${hookPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  const answer = await response.text();
  return { status: response.status, text: answer, body: answer ? JSON.parse(answer) : undefined };
}

function paths(response: ApiResponse): string[] {
  return (response.body.detail as { path: string }[]).map((d) => d.path);
}

async function expectContextIntact(): Promise<void> {
  expect((await call('GET', `/dlqs/${ieId}/bundle`)).body).toEqual(bundleBefore);
  const doc = await harness.store.incompleteExecutions.get(ieId);
  expect(doc?.status).toBe('unresolved');
}

describe('keys that could replace a prototype or pose as imex data', () => {
  test('a PATCH whose bundles carry __proto__ answers 400 naming it, and the stored bundles stay', async () => {
    const answer = await raw('PATCH', `/dlqs/${ieId}`, '{"bundles":{"__proto__":{"1":{"value":{"n":2}}}}}');
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('IM_VALIDATION');
    expect(paths(answer)).toEqual(['bundles.__proto__']);
    await expectContextIntact();
  });

  test.each([
    ['constructor', { bundles: { '1': { value: { constructor: { prototype: {} } } } } }, 'bundles.1.value.constructor'],
    ['prototype', { bundles: { '1': { value: { prototype: 1 } } } }, 'bundles.1.value.prototype'],
    ['a $ key', { bundles: { '1': { value: { $where: 'sleep(1000)' } } } }, 'bundles.1.value.$where'],
    [
      'a blob reference',
      { bundles: { '1': { value: { $imexBlob: 'f'.repeat(64), bytes: 1 } } } },
      'bundles.1.value.$imexBlob',
    ],
  ])('PATCH and resolve refuse %s in bundles', async (_what, body, path) => {
    for (const [method, route] of [
      ['PATCH', `/dlqs/${ieId}`],
      ['POST', `/dlqs/${ieId}/resolve`],
    ] as const) {
      const answer = await call(method, route, body);
      expect(answer.status).toBe(400);
      expect(paths(answer)).toContain(path);
    }
    await expectContextIntact();
  });

  test('blueprints refuse them too, as an object or as JSON text (PATCH /dlqs, POST and PATCH /scenarios)', async () => {
    const blueprint = {
      name: 'x',
      flow: [webhookTrigger, { ...http.httpModule(2, '/hostile'), metadata: { $ref: '#/x' } }],
    };
    const text = JSON.stringify(blueprint).replace('"name":"x"', '"name":"x","__proto__":{"flow":[]}');
    for (const [method, route, body, path] of [
      ['PATCH', `/dlqs/${ieId}`, { blueprint: text }, 'blueprint.__proto__'],
      ['PATCH', `/dlqs/${ieId}`, { blueprint }, 'blueprint.flow[1].metadata.$ref'],
      ['POST', '/scenarios', { blueprint }, 'blueprint.flow[1].metadata.$ref'],
      ['PATCH', `/scenarios/${scenarioId}`, { blueprint: text }, 'blueprint.__proto__'],
    ] as const) {
      const answer = await call(method, route, body);
      expect(answer.status).toBe(400);
      expect(paths(answer)).toContain(path);
    }
    await expectContextIntact();
  });

  test("a run's data refuses them", async () => {
    for (const [data, path] of [
      [{ user: { $ne: null } }, 'data.user.$ne'],
      [{ constructor: 'x' }, 'data.constructor'],
    ] as const) {
      const answer = await call('POST', `/scenarios/${scenarioId}/run`, { data });
      expect(answer.status).toBe(400);
      expect(paths(answer)).toEqual([path]);
    }
  });

  test("webhooks keep a third party's $schema, $id and constructor fields, and refuse poisoning and blob references", async () => {
    const fine = await postHook(
      '{"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"a","constructor":"x","n":1}',
    );
    expect(fine.status).toBe(202);
    for (const [text, path] of [
      ['{"n":1,"__proto__":{"admin":true}}', '__proto__'],
      ['{"n":{"constructor":{"prototype":{"x":1}}}}', 'n.constructor'],
      [`{"file":{"$imexBlob":"${'a'.repeat(64)}","bytes":10}}`, 'file.$imexBlob'],
    ] as const) {
      const answer = await postHook(text);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('IM_VALIDATION');
      expect(paths(answer)).toEqual([path]);
    }
  });
});

describe('sizes', () => {
  test(`a body over the limit answers 413 naming the limit (${DEFAULT_API_BODY_LIMIT} bytes)`, async () => {
    const value = 'x'.repeat(DEFAULT_API_BODY_LIMIT);
    const started = Date.now();
    const answer = await call('PATCH', `/dlqs/${ieId}`, { bundles: { '1': { value: { big: value } } } });
    process.stdout.write(`413 for a ${DEFAULT_API_BODY_LIMIT + 40}-byte PATCH in ${Date.now() - started} ms\n`);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({
      code: 'IM_PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('16 MiB'),
      detail: { limit: DEFAULT_API_BODY_LIMIT },
    });
    await expectContextIntact();
  });

  test('a blueprint over the module limit answers 400 fast, and other requests are not held up meanwhile', async () => {
    const chain = (n: number) => ({
      name: 'big',
      flow: [
        webhookTrigger,
        ...Array.from({ length: n - 1 }, (_, i) => ({
          id: i + 2,
          module: 'util:SetVariable2',
          mapper: { name: `v${i + 2}`, scope: 'roundtrip', value: `{{${i + 1}.n}}` },
        })),
      ],
      metadata: { scenario: { dlq: true } },
    });
    for (const modules of [BLUEPRINT_MAX_MODULES, BLUEPRINT_MAX_MODULES + 1, 40_000]) {
      const body = { blueprint: chain(modules) };
      const bytes = JSON.stringify(body).length;
      const started = Date.now();
      const [answer, other] = await Promise.all([
        call('POST', '/scenarios', body),
        (async () => {
          const sent = Date.now();
          await call('GET', `/dlqs/${ieId}`);
          return Date.now() - sent;
        })(),
      ]);
      process.stdout.write(
        `POST /scenarios with ${modules} modules (${bytes} bytes): ${answer.status} in ${Date.now() - started} ms; ` +
          `a GET sent alongside answered in ${other} ms\n`,
      );
      if (modules <= BLUEPRINT_MAX_MODULES) {
        expect(answer.status).toBe(200);
      } else {
        expect(answer.status).toBe(400);
        expect(answer.body.detail).toEqual([
          {
            path: 'blueprint.flow',
            in: 'body',
            message: expect.stringContaining(`more than ${BLUEPRINT_MAX_MODULES} modules`),
          },
        ]);
      }
    }
  });
});

describe('queries and ids', () => {
  test('object syntax in a query answers 400 naming the key, never "no filter"', async () => {
    for (const [query, path] of [
      ['scenarioId[$gt]=0', 'scenarioId[$gt]'],
      ['status[]=unresolved', 'status[]'],
      ['scenarioId[0]=1', 'scenarioId[0]'],
    ] as const) {
      const answer = await call('GET', `/dlqs?${query}`);
      expect(answer.status).toBe(400);
      expect(paths(answer)).toEqual([path]);
    }
    // A key that is not repeatable, sent twice, is refused (`status` and the other IE-query filters repeat).
    const twice = await call('GET', `/dlqs?pg[limit]=1&pg[limit]=2`);
    expect(twice.status).toBe(400);
    expect(paths(twice)).toEqual(['pg[limit]']);
    expect((await call('GET', `/dlqs?status=unresolved&status=pending`)).status).toBe(200);
  });

  test.each(['%2B1', '%201', '01', '1.0', '1e0', '0x1', '1%20'])(
    'the id %s is refused, in a path and in a query',
    async (id) => {
      const inPath = await call('GET', `/scenarios/${id.replace('1', String(scenarioId))}`);
      expect(inPath.status).toBe(400);
      expect(paths(inPath)).toEqual(['scenarioId']);
      const inQuery = await call('GET', `/dlqs?scenarioId=${id.replace('1', String(scenarioId))}`);
      expect(inQuery.status).toBe(400);
      expect(paths(inQuery)).toEqual(['scenarioId']);
      expect((await call('GET', `/dlqs?scenarioId=${scenarioId}`)).status).toBe(200);
    },
  );

  test('IE ids are 32 lowercase hex characters', async () => {
    for (const id of [ieId.toUpperCase(), `${ieId}0`, ` ${ieId}`.replace(' ', '%20')]) {
      const answer = await call('GET', `/dlqs/${id}`);
      expect(answer.status).toBe(400);
      expect(paths(answer)).toEqual(['dlqId']);
    }
  });
});
