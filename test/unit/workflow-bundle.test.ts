/**
 * The workflow bundle holds no zod: the SDK evaluates the bundle again for every workflow it
 * caches, so every module in it costs per cached workflow (the lint rule in eslint.config.mjs
 * keeps zod out of the imports; this checks the bundle the worker really loads). Nor, with tracing
 * off, anything of OpenTelemetry; the traced bundle holds the tracing interceptors.
 */
import { bundleImexWorkflows } from '../../src/temporal/workflow-bundle';

let code = '';

beforeAll(async () => {
  ({ code } = await bundleImexWorkflows());
}, 180_000);

// The bundled modules' paths: webpack's development bundle heads each with a line `/***/ "<path>"`.
function bundledModules(bundle = code): string[] {
  return [...bundle.matchAll(/^\/\*\*\*\/ "([^"]+)"$/gm)].map((m) => m[1] as string);
}

test('the workflow bundle holds no zod, and its size is reported', () => {
  const modules = bundledModules();
  const sourceMap = code.indexOf('//# sourceMappingURL=data:');
  const codeBytes = Buffer.byteLength(sourceMap < 0 ? code : code.slice(0, sourceMap));
  console.log(
    `workflow bundle: ${Math.round(Buffer.byteLength(code) / 1024)} KB ` +
      `(${Math.round(codeBytes / 1024)} KB of code, the rest its inline source map), ${modules.length} modules`,
  );
  expect(modules.length).toBeGreaterThan(50); // the module list is read right: the SDK's own are there
  expect(modules.some((m) => m.includes('@temporalio/workflow/'))).toBe(true);
  expect(modules.some((m) => m.includes('/workflows/incomplete-execution.ts'))).toBe(true);
  expect(modules.filter((m) => m.includes('node_modules/zod/'))).toEqual([]);
  expect(modules.filter((m) => m.includes('/src/domain/schemas/'))).toEqual([]);
});

test('with tracing off the bundle holds nothing of OpenTelemetry; the traced one holds the interceptors', async () => {
  const otel = (m: string) => m.includes('@opentelemetry/') || m.includes('interceptors-opentelemetry');
  expect(bundledModules().filter(otel)).toEqual([]);
  const traced = (await bundleImexWorkflows({ tracing: true })).code;
  const modules = bundledModules(traced);
  console.log(`traced workflow bundle: ${Math.round(Buffer.byteLength(traced) / 1024)} KB, ${modules.length} modules`);
  expect(modules.some((m) => m.includes('/workflows/interceptors/trace-context.ts'))).toBe(true);
  expect(modules.some((m) => m.includes('interceptors-opentelemetry/lib/workflow'))).toBe(true);
  expect(modules.filter((m) => m.includes('node_modules/zod/'))).toEqual([]);
}, 180_000);
