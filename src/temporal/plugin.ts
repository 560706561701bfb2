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
import type { WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities';
import type { Keyring } from '../crypto/keyring';
import { withImexEncryption } from './data-converter';

export const imexWorkflowsPath = require.resolve('../../workflows');

export interface ImexPluginOptions extends ActivityDeps {
  /** A prebuilt bundle (`bundleWorkflowCode({ workflowsPath: imexWorkflowsPath })`) to skip bundling at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Encrypts every payload with these keys (docs/security.md); without it payloads stay plain. */
  keyring?: Keyring;
}

export function createImexPlugin(options: ImexPluginOptions): SimplePlugin {
  const { workflowBundle, keyring, ...deps } = options;
  return new SimplePlugin({
    name: 'imex',
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: imexWorkflowsPath }),
    activities: createActivities(deps),
    dataConverter: (existing) => withImexEncryption(existing, keyring),
  });
}
