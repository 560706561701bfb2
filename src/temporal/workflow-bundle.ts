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
 * result as the plugin's `workflowBundle` and Worker.create skips bundling.
 */
export function bundleImexWorkflows(): Promise<{ code: string }> {
  return bundleWorkflowCode({
    workflowsPath: imexWorkflowsPath,
    failureConverterPath: imexFailureConverterPath,
    logger: quietBundlerLogger,
  });
}
