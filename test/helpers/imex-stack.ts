/**
 * The set-up most integration tests share: the test stack (Temporal and FerretDB), an imex worker
 * and clients on it, and a scripted HTTP server for modules to call, opened before the file's
 * tests and closed after them. Its fields are set once `beforeAll` has run: read them in tests and
 * hooks, not at the top level of the file.
 */
import { startImexHarness, type ImexHarness } from './imex-harness';
import { ScriptedHttpServer } from './scripted-http-server';
import { openTestEnv, type TestEnv } from './test-env';

export interface ImexStack {
  env: TestEnv;
  imex: ImexHarness;
  http: ScriptedHttpServer;
}

export function useImexStack(options?: Parameters<typeof startImexHarness>[1]): ImexStack {
  const stack = {} as ImexStack;
  beforeAll(async () => {
    stack.env = await openTestEnv();
    stack.imex = await startImexHarness(stack.env, options);
    stack.http = await new ScriptedHttpServer().start();
  });
  afterAll(async () => {
    await stack.imex?.stop();
    await stack.http?.stop();
    await stack.env?.close();
  });
  return stack;
}
