/**
 * The egress policy on real loopback servers: what a module's request, a run callback or an alert
 * may reach, checked on the address the connection goes to and on every redirect.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { createDeliverRunCallback } from '../../../activities/run-callback';
import { ModuleError } from '../../../src/domain';
import { EgressPolicy, parseAllowedHost, type EgressPolicyOptions } from '../../../src/egress/egress-policy';
import { mongoEndpoints, stackEndpoint } from '../../../src/egress/stack-endpoints';
import { createHttpActionSendData, invokeModule, type ModuleExecution } from '../../../src/modules';

/** A loopback server counting its requests; `/to-stack` redirects to the stand-in stack server. */
async function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

let service: { server: http.Server; port: number };
/** Stands in for the Temporal UI: a server of the stack, on loopback. */
let stack: { server: http.Server; port: number };
let serviceRequests = 0;
let stackRequests = 0;
const policies: EgressPolicy[] = [];

beforeAll(async () => {
  stack = await listen((_req, res) => {
    stackRequests++;
    res.end('{"workflows":["every organization\'s"]}');
  });
  service = await listen((req, res) => {
    serviceRequests++;
    if (req.url === '/to-stack') {
      return void res.writeHead(302, { location: `http://localhost:${stack.port}/api/v1/namespaces` }).end();
    }
    res.end('{"ok":true}');
  });
});

afterAll(async () => {
  for (const policy of policies) policy.close();
  for (const { server } of [service, stack]) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

beforeEach(() => {
  serviceRequests = 0;
  stackRequests = 0;
});

function policy(options: EgressPolicyOptions = {}): EgressPolicy {
  const made = new EgressPolicy({
    ...options,
    stack: [{ name: 'Temporal UI', host: '127.0.0.1', port: stack.port }, ...(options.stack ?? [])],
  });
  policies.push(made);
  return made;
}

const execution: ModuleExecution = { executionId: 'e'.repeat(32), moduleId: 2, bundleIndex: 0, attempt: 1 };

async function get(url: string, egress: EgressPolicy): Promise<unknown> {
  try {
    return await invokeModule(createHttpActionSendData({ egress, defaultTimeoutSeconds: 10 }), {
      parameters: { handleErrors: true },
      mapper: { url, method: 'get' },
      execution,
      signal: new AbortController().signal,
      idempotencyKey: 'k',
    });
  } catch (error) {
    return error;
  }
}

function expectRefused(outcome: unknown, address: string, rule: RegExp): void {
  expect(outcome).toBeInstanceOf(ModuleError);
  const error = outcome as ModuleError;
  expect(error.category).toBe('InvalidConfigurationError');
  expect(error.message).toContain(`(address ${address})`);
  expect(error.message).toMatch(rule);
  expect(error.details).toMatchObject({ address });
}

test('the default policy refuses loopback, private, link-local (cloud metadata) and unspecified addresses', async () => {
  const strict = policy();
  expectRefused(
    await get(`http://127.0.0.1:${service.port}/`, strict),
    '127.0.0.1',
    /loopback address; allow it with IMEX_EGRESS_ALLOW=loopback/,
  );
  expectRefused(await get(`http://[::ffff:127.0.0.1]:${service.port}/`, strict), '127.0.0.1', /loopback/);
  expectRefused(await get(`http://0.0.0.0:${service.port}/`, strict), '0.0.0.0', /loopback/);
  expectRefused(await get('http://10.1.2.3/', strict), '10.1.2.3', /private address/);
  expectRefused(await get('http://100.64.0.1/', strict), '100.64.0.1', /private address/);
  expectRefused(await get('http://[fd00::1]/', strict), 'fd00::1', /private address/);
  expectRefused(await get('http://169.254.169.254/latest/meta-data/', strict), '169.254.169.254', /link-local/);
  expectRefused(await get('http://224.0.0.1/', strict), '224.0.0.1', /reserved address, never allowed/);
  expect(serviceRequests).toBe(0);
});

test('a name is judged by the address it resolves to: localhost is loopback', async () => {
  const outcome = await get(`http://localhost:${service.port}/`, policy());
  expect(outcome).toBeInstanceOf(ModuleError);
  expect((outcome as ModuleError).category).toBe('InvalidConfigurationError');
  expect((outcome as ModuleError).message).toMatch(
    /refuses localhost:\d+ \(address (127\.0\.0\.1|::1)\): a loopback address/,
  );
  expect(serviceRequests).toBe(0);
});

test('loopback allowed: the service is reached, the stack stays refused, also through a redirect', async () => {
  const local = policy({ allow: ['loopback'] });
  expect(await get(`http://localhost:${service.port}/`, local)).toMatchObject([{ statusCode: 200 }]);
  expect(serviceRequests).toBe(1);

  for (const host of ['127.0.0.1', 'localhost', '127.0.0.2', '[::ffff:127.0.0.1]']) {
    const outcome = await get(`http://${host}:${stack.port}/api/v1/namespaces/default/workflows`, local);
    expect(outcome).toBeInstanceOf(ModuleError);
    expect((outcome as ModuleError).message).toMatch(/it is imex's own Temporal UI, refused whatever is allowed/);
  }
  const redirected = await get(`http://127.0.0.1:${service.port}/to-stack`, local);
  expect(redirected).toBeInstanceOf(ModuleError);
  expect((redirected as ModuleError).category).toBe('InvalidConfigurationError');
  expect((redirected as ModuleError).message).toMatch(/refuses localhost:\d+ .*imex's own Temporal UI/);
  expect(serviceRequests).toBe(2);
  expect(stackRequests).toBe(0);
});

test('IMEX_EGRESS_ALLOW_HOSTS opens one host and port, not its neighbours, and never the stack', async () => {
  const one = policy({ allowHosts: [`127.0.0.1:${service.port}`, `127.0.0.1:${stack.port}`] });
  expect(await get(`http://127.0.0.1:${service.port}/`, one)).toMatchObject([{ statusCode: 200 }]);
  expectRefused(await get(`http://127.0.0.1:${service.port + 1}/`, one), '127.0.0.1', /loopback/);
  expect((await get(`http://127.0.0.1:${stack.port}/`, one)) as ModuleError).toMatchObject({
    category: 'InvalidConfigurationError',
    message: expect.stringMatching(/imex's own Temporal UI/) as unknown,
  });
  const block = policy({ allowHosts: ['127.0.0.0/8'] });
  expect(await get(`http://127.0.0.1:${service.port}/`, block)).toMatchObject([{ statusCode: 200 }]);
  expect(stackRequests).toBe(0);
});

test('a run callback to a refused address fails at once, not retried', async () => {
  const deliver = createDeliverRunCallback(policy({ allow: ['loopback'] }));
  const body = { executionId: 'c'.repeat(32), scenarioId: 1, status: 1 } as never;
  const refused = await deliver({ url: `http://127.0.0.1:${stack.port}/`, body }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(ApplicationFailure);
  expect(refused).toMatchObject({ type: 'InvalidConfigurationError', nonRetryable: true });
  expect((refused as Error).message).toMatch(/the callback URL is refused: .*imex's own Temporal UI/);
  expect(await deliver({ url: `http://127.0.0.1:${service.port}/`, body })).toEqual({ status: 200 });
  expect(stackRequests).toBe(0);
});

test('allowed-host entries and stack addresses parse as documented', () => {
  expect(parseAllowedHost('API.example.com')).toEqual({ kind: 'host', host: 'api.example.com' });
  expect(parseAllowedHost('crm.local:8443')).toEqual({ kind: 'host', host: 'crm.local', port: 8443 });
  expect(parseAllowedHost('[::1]:80')).toEqual({ kind: 'host', host: '::1', port: 80 });
  expect(parseAllowedHost('10.0.0.0/8').kind).toBe('block');
  for (const bad of ['http://x/', 'a b', '10.0.0.0/40', 'x:0', '::1']) {
    if (bad === '::1') expect(parseAllowedHost(bad)).toEqual({ kind: 'host', host: '::1' });
    else expect(() => parseAllowedHost(bad)).toThrow(/is not|no valid port/);
  }
  expect(stackEndpoint('Temporal UI', 'http://127.0.0.1:8233')).toEqual([
    { name: 'Temporal UI', host: '127.0.0.1', port: 8233 },
  ]);
  expect(mongoEndpoints('mongodb://u:p@db1,db2:27018/imex?replicaSet=rs')).toEqual([
    { name: 'MongoDB', host: 'db1', port: 27017 },
    { name: 'MongoDB', host: 'db2', port: 27018 },
  ]);
});
