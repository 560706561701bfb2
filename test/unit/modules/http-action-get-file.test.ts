import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EgressPolicy } from '../../../src/egress/egress-policy';
import { createHttpActionGetFile, fileNameOf, invokeModule, type ModuleExecution } from '../../../src/modules';

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
let server: http.Server;
let base: string;

beforeAll(async () => {
  // A real local server with a named file, an unnamed one and a missing one.
  server = http.createServer((req, res) => {
    if (req.url === '/files/logo.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    else if (req.url === '/download')
      res.writeHead(200, { 'content-disposition': 'attachment; filename="report 1.pdf"' }).end('%PDF');
    else if (req.url === '/big') res.writeHead(200).end(Buffer.alloc(4096));
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('no such file');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
// The test's service listens on loopback: allowed explicitly (the default policy refuses it).
const loopbackAllowed = new EgressPolicy({ allow: ['loopback'] });
afterAll(() => {
  loopbackAllowed.close();
  return new Promise((resolve) => server.close(resolve));
});

const execution: ModuleExecution = { executionId: 'a'.repeat(32), moduleId: 4, bundleIndex: 0, attempt: 1 };
const getFile = (url: string, parameters: Record<string, unknown> = {}, maxResponseBytes?: number) =>
  invokeModule(
    createHttpActionGetFile({ egress: loopbackAllowed, ...(maxResponseBytes ? { maxResponseBytes } : {}) }),
    {
      parameters,
      mapper: { url, method: 'get' },
      execution,
    },
  );

describe('http:ActionGetFile', () => {
  it('outputs the bytes as Buffer JSON with the file name, size and type', async () => {
    const [file] = await getFile(`${base}/files/logo.png`);
    expect(file).toEqual({
      fileName: 'logo.png',
      fileSize: png.length,
      contentType: 'image/png',
      statusCode: 200,
      data: { type: 'Buffer', data: [...png] },
    });
    expect(Buffer.from((file?.data as { data: number[] }).data).equals(png)).toBe(true);
  });

  it('names the file from Content-Disposition when the service gives one', async () => {
    const [file] = await getFile(`${base}/download`);
    expect(file).toMatchObject({ fileName: 'report 1.pdf', fileSize: 4 });
  });

  it('fails a missing file with handleErrors (DataError), returns it without', async () => {
    await expect(getFile(`${base}/nope`, { handleErrors: true })).rejects.toMatchObject({ category: 'DataError' });
    await expect(getFile(`${base}/nope`)).resolves.toEqual([expect.objectContaining({ statusCode: 404 })]);
  });

  it('refuses a file over the size limit (MaxFileSizeExceededError)', async () => {
    await expect(getFile(`${base}/big`, {}, 1024)).rejects.toMatchObject({ category: 'MaxFileSizeExceededError' });
  });

  it('falls back to "file" for a URL without a path', () => {
    expect(fileNameOf(new URL('http://x/'), undefined)).toBe('file');
    expect(fileNameOf(new URL('http://x/a/b%20c.txt'), undefined)).toBe('b c.txt');
  });
});
