/**
 * The imex Temporal plugin (DESIGN.md §3): configures a Worker for the imex task queue with
 * imex's workflows and activities. An application runs imex by creating one more Worker with it:
 *
 *   const worker = await Worker.create({ connection, namespace, taskQueue: 'imex',
 *     plugins: [createImexPlugin({ store, registry, client, taskQueue: 'imex' })] });
 *
 * SimplePlugin replaces the worker's workflows, so imex gets a worker of its own rather than
 * merging into one that already has workflows.
 */
import { SimplePlugin } from '@temporalio/plugin';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';

export const imexWorkflowsPath = require.resolve('../../workflows');

export interface ImexPluginOptions extends ActivityDeps {
  /** A prebuilt bundle (`bundleWorkflowCode({ workflowsPath: imexWorkflowsPath })`) to skip bundling at start. */
  workflowBundle?: WorkflowBundleOption;
}

export function createImexPlugin(options: ImexPluginOptions): SimplePlugin {
  const { workflowBundle, ...deps } = options;
  return new SimplePlugin({
    name: 'imex',
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: imexWorkflowsPath }),
    activities: createActivities(deps),
  });
}
