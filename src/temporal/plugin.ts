/**
 * The imex Temporal plugin (DESIGN.md §3): configures a Worker for the imex task queue with
 * imex's workflows and activities. An application runs imex by creating one more Worker with it:
 *
 *   const worker = await Worker.create({ connection, namespace, taskQueue: 'imex',
 *     plugins: [createImexPlugin({ store, registry, client, taskQueue: 'imex' })] });
 *
 * SimplePlugin replaces the worker's workflows, so imex gets a worker of its own rather than
 * merging into one that already has workflows. With a `keyring`, the plugin also installs imex's
 * encryption codec (data-converter.ts); the application's clients use `imexDataConverter(keyring)`.
 */
import { SimplePlugin } from '@temporalio/plugin';
import type { WorkerOptions, WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import type { Keyring } from '../crypto/keyring';
import { withImexEncryption } from './data-converter';

export const imexWorkflowsPath = require.resolve('../../workflows');

/**
 * Workflow tasks an imex worker takes at once, unless the worker is given its own number (or a
 * tuner). The SDK runs their activations one after another on its single workflow thread, so a
 * task taken while others are in hand waits inside the worker, and that wait counts in its
 * duration (WorkflowTaskStarted → Completed): with the SDK's 40, an outage storm's IE tasks took
 * 4–5 s. With few, the backlog waits in the server's task queue instead, where it costs nothing
 * and is served in priority order (live runs before IE work, src/domain/task-priority.ts). Not
 * fewer: a run's task keeps its slot while its local activities (the park, the store writes) run.
 * docs/benchmark.md ("Outage storm") has the figures.
 */
export const DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS = 8;

export interface ImexPluginOptions extends ActivityDeps {
  /** A prebuilt bundle (`bundleWorkflowCode({ workflowsPath: imexWorkflowsPath })`) to skip bundling at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Encrypts every payload with these keys (docs/security.md); without it payloads stay plain. */
  keyring?: Keyring;
}

class ImexPlugin extends SimplePlugin {
  override configureWorker(options: WorkerOptions): WorkerOptions {
    const configured = super.configureWorker(options);
    if (configured.tuner !== undefined || configured.maxConcurrentWorkflowTaskExecutions !== undefined) {
      return configured;
    }
    return { ...configured, maxConcurrentWorkflowTaskExecutions: DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS };
  }
}

export function createImexPlugin(options: ImexPluginOptions): SimplePlugin {
  const { workflowBundle, keyring, ...deps } = options;
  return new ImexPlugin({
    name: 'imex',
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: imexWorkflowsPath }),
    activities: createActivities(deps),
    dataConverter: (existing) => withImexEncryption(existing, keyring),
  });
}
