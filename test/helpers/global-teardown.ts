export default async function globalTeardown(): Promise<void> {
  await globalThis.__IMEX_TEST_STACK__?.stop();
  globalThis.__IMEX_TEST_STACK__ = undefined;
}
