import { bundleWorkflowCode } from '@temporalio/worker';
import { imexFailureConverterPath } from './data-converter';
import { imexWorkflowsPath } from './plugin';

/** Only the bundler's errors are worth printing; its progress lines are noise at every start. */
export const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

/**
 * imex's workflows bundled once, for workers that start often (tests, the benchmark): pass the
 * result as the plugin's `workflowBundle` and Worker.create skips bundling. `tracing`: with the
 * tracing interceptors (a prebuilt bundle must hold them: the worker ignores interceptor modules
 * given to it then); without, the bundle holds nothing of OpenTelemetry.
 */
export async function bundleImexWorkflows(options: { tracing?: boolean } = {}): Promise<{ code: string }> {
  const workflowInterceptorModules = options.tracing
    ? (await import('./tracing-plugin')).tracingWorkflowInterceptorModules()
    : undefined;
  return bundleWorkflowCode({
    workflowsPath: imexWorkflowsPath,
    failureConverterPath: imexFailureConverterPath,
    logger: quietBundlerLogger,
    ...(workflowInterceptorModules ? { workflowInterceptorModules } : {}),
  });
}
