/** The real imex API on a free loopback port, and a minimal fetch client for the bench. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../src/api';
import { createLogger } from '../src/logger';
import { createDefaultRegistry } from '../src/modules';
import { apiScopes, type Store } from '../src/store';
import type { ImexClient } from '../src/temporal/client';

export interface BenchApi {
  url: string;
  /** Where `POST /hooks/<hookId>` is (the API's origin). */
  origin: string;
  /** Sends a request; throws unless the status is one of `expect`. */
  call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    expect?: number[],
  ): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export async function startBenchApi(store: Store, imex: ImexClient, orgId: number): Promise<BenchApi> {
  const app: FastifyInstance = await createApiServer({
    store,
    imex,
    webhooks: imex,
    registry: createDefaultRegistry(),
    logger: createLogger('silent'),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/api/v2`;
  const { token } = await store.apiTokens.create({ orgId, scopes: [...apiScopes] });
  return {
    url,
    origin: `http://127.0.0.1:${port}`,
    async call(method, path, body, expect = [200]) {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Token ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!expect.includes(response.status)) {
        throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
      }
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as never };
    },
    close: () => app.close(),
  };
}
