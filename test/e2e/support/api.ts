/** A real imex API on 127.0.0.1 (port 0) over the test's store, and a small fetch client for it. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createApiServer, type ApiDeps, type ApiImexClient } from '../../../src/api';
import type { BlueprintInput } from '../../../src/domain';
import { createLogger } from '../../../src/logger';
import { createDefaultRegistry } from '../../../src/modules';
import type { ApiScope, Store } from '../../../src/store';

export interface ApiResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  text: string;
}

export interface RunningApi {
  app: FastifyInstance;
  /** e.g. `http://127.0.0.1:41234/api/v2` */
  url: string;
  call(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  close(): Promise<void>;
}

export async function startApi(
  store: Store,
  imex: ApiImexClient,
  options: Pick<
    ApiDeps,
    'bulkWait' | 'webhooks' | 'triggers' | 'codecServer' | 'operations' | 'webhookResponseWaitMs'
  > = {},
): Promise<RunningApi> {
  const app = await createApiServer({
    store,
    imex,
    registry: createDefaultRegistry(),
    logger: createLogger(process.env.IMEX_TEST_LOG_LEVEL ?? 'silent'),
    ...options,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/api/v2`;
  return {
    app,
    url,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Token ${options.token}`;
      let payload: string | undefined = options.rawBody;
      if (options.body !== undefined) payload = JSON.stringify(options.body);
      if (payload !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(`${url}${path}`, { method, headers, body: payload });
      const text = await response.text();
      let body: unknown = undefined;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      return { status: response.status, body, text };
    },
    close: () => app.close(),
  };
}

/** For stand-in clients of tests that start no worker: the IE requests fail loudly if used. */
export const noIncompleteExecutionRequests: Omit<ApiImexClient, 'startScenarioRun'> = {
  scenarioRunResult: () => Promise.reject(new Error('no worker in this test')),
  requestIncompleteExecution: () => Promise.reject(new Error('no worker in this test')),
  deleteIncompleteExecution: () => Promise.reject(new Error('no worker in this test')),
  startBulkOperation: () => Promise.reject(new Error('no worker in this test')),
  startBulkQueryOperation: () => Promise.reject(new Error('no worker in this test')),
  controlBulkQueryOperation: () => Promise.reject(new Error('no worker in this test')),
};

export const allScopes: ApiScope[] = ['dlqs:read', 'dlqs:write', 'scenarios:read', 'scenarios:write'];

/** A small blueprint imex can run: a webhook trigger and a variable mapped from it. */
export function webhookBlueprint(name = 'Echo', settings: Record<string, unknown> = {}): BlueprintInput {
  return {
    name,
    flow: [
      { id: 1, module: 'gateway:CustomWebHook', version: 1, parameters: {}, mapper: {} },
      {
        id: 2,
        module: 'util:SetVariable2',
        version: 1,
        parameters: {},
        mapper: { name: 'greeting', scope: 'roundtrip', value: 'hello {{1.name}}' },
      },
    ],
    metadata: { scenario: { ...settings } },
  };
}
