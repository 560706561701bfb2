import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { ModuleError, type ErrorCategory } from '../../../src/domain';
import { EgressPolicy } from '../../../src/egress/egress-policy';
import { createHttpActionSendData, idempotencyKeyFor, invokeModule, type ModuleExecution } from '../../../src/modules';

/** A real local server that produces every failure the HTTP module must classify. */
function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    if (status) {
      const headers: Record<string, string> = { 'content-type': 'text/plain' };
      const retryAfter = url.searchParams.get('retryAfter');
      if (retryAfter) headers['retry-after'] = retryAfter;
      res.writeHead(Number(status[1]), headers).end(`body of ${status[1]}`);
    } else if (url.pathname === '/echo') {
      const body = {
        method: req.method,
        query: url.search,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      res
        .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-multi': ['a', 'b'] })
        .end(JSON.stringify(body));
    } else if (url.pathname === '/reset') {
      req.socket.destroy();
    } else if (url.pathname === '/hang') {
      res.writeHead(200); // headers, then silence
      res.flushHeaders();
    } else if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const kilobyte = Buffer.alloc(1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(kilobyte));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump(); // streams forever: only the client's limit ends it
    } else if (url.pathname === '/big-declared') {
      res.writeHead(200, { 'content-length': String(50 * 1024) }).end(Buffer.alloc(50 * 1024));
    } else if (url.pathname === '/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(JSON.stringify({ compressed: true })));
    } else if (url.pathname === '/redirect') {
      res.writeHead(302, { location: '/echo?redirected=1' }).end();
    } else if (url.pathname === '/not-json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{oops');
    } else {
      res.writeHead(404).end();
    }
  });
}

const server = http.createServer(handle);
let base = '';
let deadPort = 0;
const now = Date.parse('2030-01-01T00:00:00Z');
// The test's services listen on loopback: allowed explicitly (the default policy refuses it).
const loopbackAllowed = new EgressPolicy({ allow: ['loopback'] });
const http3 = createHttpActionSendData({ maxResponseBytes: 10 * 1024, now: () => now, egress: loopbackAllowed });
const execution: ModuleExecution = { executionId: 'a'.repeat(32), moduleId: 3, bundleIndex: 0, attempt: 1 };

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just listening and is now closed: connecting to it is refused.
  const dead = http.createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
});

afterAll(async () => {
  loopbackAllowed.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function send(
  mapper: Record<string, unknown>,
  options: { handleErrors?: boolean; execution?: Partial<ModuleExecution>; signal?: AbortSignal } = {},
) {
  return invokeModule(http3, {
    parameters: { handleErrors: options.handleErrors ?? true },
    mapper: { method: 'get', ...mapper },
    execution: { ...execution, ...options.execution },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

async function failure(promise: Promise<unknown>): Promise<ModuleError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ModuleError)) throw new Error(`expected a ModuleError, got ${String(error)}`);
  return error;
}

describe('http:ActionSendData against a real server', () => {
  it('returns { statusCode, headers, data } with data parsed as JSON when asked', async () => {
    const [bundle] = await send({ url: `${base}/echo`, qs: [{ name: 'q', value: 'a b' }], parseResponse: true });
    expect(bundle).toMatchObject({ statusCode: 200, data: { method: 'GET', query: '?q=a+b' } });
    expect(bundle?.headers).toEqual(
      expect.arrayContaining([
        { name: 'x-multi', value: 'a' },
        { name: 'x-multi', value: 'b' },
      ]),
    );
  });

  it('returns the body as text without parseResponse', async () => {
    const [bundle] = await send({ url: `${base}/echo` });
    expect(typeof bundle?.data).toBe('string');
  });

  it('sends a raw body with its content type, headers and basic auth', async () => {
    const [bundle] = await send({
      url: `${base}/echo`,
      method: 'post',
      bodyType: 'raw',
      contentType: 'application/json',
      data: '{"a":1}',
      headers: [{ name: 'X-Custom', value: 'yes' }],
      authUser: 'ada',
      authPass: 'secret',
      parseResponse: true,
    });
    const echoed = bundle?.data as { method: string; body: string; headers: Record<string, string> };
    expect(echoed.method).toBe('POST');
    expect(echoed.body).toBe('{"a":1}');
    expect(echoed.headers).toMatchObject({
      'content-type': 'application/json',
      'x-custom': 'yes',
      authorization: `Basic ${Buffer.from('ada:secret').toString('base64')}`,
    });
  });

  it('sends form fields url-encoded', async () => {
    const [bundle] = await send({
      url: `${base}/echo`,
      method: 'post',
      bodyType: 'x_www_form_urlencoded',
      formFields: [
        { key: 'a', value: '1 2' },
        { key: 'b', value: 'é' },
      ],
      parseResponse: true,
    });
    expect((bundle?.data as { body: string }).body).toBe('a=1+2&b=%C3%A9');
  });

  it('sends multipart form data: text parts and file parts, with the boundary in the content type', async () => {
    const [bundle] = await send({
      url: `${base}/echo`,
      method: 'post',
      bodyType: 'multipart_form_data',
      formFields: [
        { key: 'title', value: 'Report é' },
        { key: 'upload', fieldType: 'file', fileName: 'r.txt', data: 'file body' },
        { key: 'bytes', fieldType: 'file', fileName: 'b.bin', data: { type: 'Buffer', data: [0, 255, 7] } },
      ],
      parseResponse: true,
    });
    const echoed = bundle?.data as { headers: Record<string, string>; body: string };
    expect(echoed.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    // Parsed back by the platform's own multipart parser, as a receiving service would.
    const form = await new Request('http://x', {
      method: 'POST',
      headers: { 'content-type': echoed.headers['content-type']! },
      body: echoed.body,
    }).formData();
    expect(form.get('title')).toBe('Report é');
    const upload = form.get('upload') as File;
    expect([upload.name, await upload.text()]).toEqual(['r.txt', 'file body']);
    expect((form.get('bytes') as File).name).toBe('b.bin');
  });

  it('sends a binary body as the bytes of data, octet-stream unless told', async () => {
    const [bundle] = await send({
      url: `${base}/echo`,
      method: 'put',
      bodyType: 'binary',
      data: 'raw bytes',
      parseResponse: true,
    });
    expect(bundle?.data).toMatchObject({ body: 'raw bytes', headers: { 'content-type': 'application/octet-stream' } });
    const [typed] = await send({
      url: `${base}/echo`,
      method: 'put',
      bodyType: 'binary',
      contentType: 'image/png',
      data: 'png',
      parseResponse: true,
    });
    expect(typed?.data).toMatchObject({ headers: { 'content-type': 'image/png' } });
  });

  it('decompresses gzip and follows redirects', async () => {
    expect((await send({ url: `${base}/gzip`, parseResponse: true }))[0]?.data).toEqual({ compressed: true });
    const [redirected] = await send({ url: `${base}/redirect`, parseResponse: true });
    expect(redirected).toMatchObject({ statusCode: 200, data: { query: '?redirected=1' } });
    const [kept] = await send({ url: `${base}/redirect`, followRedirect: false });
    expect(kept?.statusCode).toBe(302);
  });

  it.each<[number, ErrorCategory]>([
    [502, 'ConnectionError'],
    [503, 'ConnectionError'],
    [504, 'ConnectionError'],
    [401, 'InvalidAccessTokenError'],
    [403, 'InvalidAccessTokenError'],
    [400, 'DataError'],
    [404, 'DataError'],
    [409, 'DataError'],
    [422, 'DataError'],
    [410, 'DataError'],
    [500, 'RuntimeError'],
    [501, 'RuntimeError'],
  ])('classifies status %i as %s when handleErrors is on', async (status, category) => {
    const error = await failure(send({ url: `${base}/status/${status}` }));
    expect(error.category).toBe(category);
    expect(error.moduleId).toBe(3);
    expect(error.message).toContain(`[${status}]`);
    expect(error.details).toMatchObject({ statusCode: status });
  });

  it('classifies 429 as RateLimitError carrying Retry-After in seconds', async () => {
    const error = await failure(send({ url: `${base}/status/429?retryAfter=17` }));
    expect(error.category).toBe('RateLimitError');
    expect(error.retryAfterMs).toBe(17_000);
  });

  it('classifies 429 as RateLimitError carrying Retry-After as an HTTP date', async () => {
    const date = new Date(now + 30_000).toUTCString();
    const error = await failure(send({ url: `${base}/status/429?retryAfter=${encodeURIComponent(date)}` }));
    expect(error.category).toBe('RateLimitError');
    expect(error.retryAfterMs).toBe(30_000);
  });

  it('returns error statuses as output when handleErrors is off', async () => {
    const [bundle] = await send({ url: `${base}/status/404` }, { handleErrors: false });
    expect(bundle).toMatchObject({ statusCode: 404, data: 'body of 404' });
    const [rateLimited] = await send({ url: `${base}/status/429?retryAfter=5` }, { handleErrors: false });
    expect(rateLimited?.statusCode).toBe(429);
  });

  it('classifies a refused connection as ConnectionError, even with handleErrors off', async () => {
    const error = await failure(send({ url: `http://127.0.0.1:${deadPort}/` }, { handleErrors: false }));
    expect(error.category).toBe('ConnectionError');
    expect(error.details).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('classifies a reset connection as ConnectionError', async () => {
    const error = await failure(send({ url: `${base}/reset` }));
    expect(error.category).toBe('ConnectionError');
  });

  it('classifies a DNS failure as ConnectionError', async () => {
    const error = await failure(send({ url: 'http://imex-does-not-exist.invalid/' }));
    expect(error.category).toBe('ConnectionError');
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(error.details.code);
  });

  it('classifies its own timeout as ModuleTimeoutError', async () => {
    const error = await failure(send({ url: `${base}/hang`, timeout: 0.2 }));
    expect(error.category).toBe('ModuleTimeoutError');
  });

  it('aborts a response over the size limit as MaxFileSizeExceededError, streamed or declared', async () => {
    expect((await failure(send({ url: `${base}/big` }))).category).toBe('MaxFileSizeExceededError');
    expect((await failure(send({ url: `${base}/big-declared` }))).category).toBe('MaxFileSizeExceededError');
  });

  it('classifies a response that claims JSON but is not as DataError', async () => {
    expect((await failure(send({ url: `${base}/not-json`, parseResponse: true }))).category).toBe('DataError');
  });

  it('classifies bad mapped input as DataError before sending anything', async () => {
    expect((await failure(send({ url: 'not a url' }))).category).toBe('DataError');
    expect((await failure(send({ url: 'ftp://example.com/x' }))).category).toBe('DataError');
    expect((await failure(send({ url: `${base}/echo`, method: 'fly' }))).category).toBe('DataError');
    const badHeader = [{ name: 'bad header', value: 'x' }];
    expect((await failure(send({ url: `${base}/echo`, headers: badHeader }))).category).toBe('DataError');
  });

  it('stops when cancelled and rethrows the cancellation reason', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    const pending = send({ url: `${base}/hang`, timeout: 30 }, { signal: controller.signal });
    setImmediate(() => controller.abort(reason));
    await expect(pending).rejects.toBe(reason);
  });
});

describe('the Idempotency-Key header', () => {
  const keyOf = async (execution: Partial<ModuleExecution>, headers: unknown[] = []) => {
    const [bundle] = await send({ url: `${base}/echo`, parseResponse: true, headers }, { execution });
    return (bundle?.data as { headers: Record<string, string> }).headers['idempotency-key'];
  };

  it('is identical across retries of the same execution, module and bundle', async () => {
    const first = await keyOf({ attempt: 1 });
    const retry = await keyOf({ attempt: 2 });
    expect(first).toBe(retry);
    expect(first).toBe(idempotencyKeyFor(execution.executionId, 3, 0));
  });

  it('differs for another bundle, module or execution', async () => {
    const first = await keyOf({});
    expect(await keyOf({ bundleIndex: 1 })).not.toBe(first);
    expect(await keyOf({ moduleId: 4 })).not.toBe(first);
    expect(await keyOf({ executionId: 'b'.repeat(32) })).not.toBe(first);
  });

  it("keeps the user's own Idempotency-Key", async () => {
    expect(await keyOf({}, [{ name: 'Idempotency-Key', value: 'mine' }])).toBe('mine');
  });
});
