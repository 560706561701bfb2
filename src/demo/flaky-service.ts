/**
 * The demo's third-party service: a local HTTP endpoint that is "down" (503) until told to
 * recover, so the demo shows a real ConnectionError parking and a real recovery.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FlakyService {
  url: string;
  /** `127.0.0.1:<port>`: what the egress policy allows for the demo. */
  hostPort: string;
  /** Requests received so far. */
  requests(): number;
  recover(): void;
  close(): Promise<void>;
}

export async function startFlakyService(): Promise<FlakyService> {
  let up = false;
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      if (!up)
        return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down for maintenance"}');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ synced: true, at: new Date().toISOString() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${hostPort}/orders`,
    hostPort,
    requests: () => requests,
    recover: () => void (up = true),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
