/**
 * Starts one local stack for the whole jest run: a Temporal dev server in memory with a namespace
 * per jest worker (each with the imex search attributes) and a MongoDB wire-protocol server.
 * Test files find it through the IMEX_TEST_* variables, which jest workers inherit.
 */
import { loadConfig } from '../../src/config';
import { startLocalStack, type LocalStack } from '../../src/stack/local-stack';

export const TEST_NAMESPACE_COUNT = 4;

declare global {
  var __IMEX_TEST_STACK__: LocalStack | undefined;
}

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const namespaces = Array.from({ length: TEST_NAMESPACE_COUNT }, (_, i) => `imex-test-${i + 1}`);
  const stack = await startLocalStack({
    // Tests always start their own servers unless told otherwise: never touch a developer's data.
    config: loadConfig({
      ...process.env,
      TEMPORAL_ADDRESS: process.env.IMEX_TEST_TEMPORAL_ADDRESS,
      MONGO_URL: process.env.IMEX_TEST_MONGO_URL,
    }),
    mode: 'ephemeral',
    namespaces,
    headless: true,
  });
  globalThis.__IMEX_TEST_STACK__ = stack;
  process.env.IMEX_TEST_TEMPORAL_ADDRESS = stack.temporalAddress;
  process.env.IMEX_TEST_MONGO_URL = stack.mongoUrl;
  process.env.IMEX_TEST_NAMESPACES = namespaces.join(',');
  process.stderr.write(`\nimex test stack ready in ${Date.now() - started} ms (Temporal ${stack.temporalAddress})\n`);
}
