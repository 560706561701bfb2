import type { Client } from '@temporalio/client';

/** Ends the workflows a test file leaves running on its task queue (IEs waiting for a person). */
export async function terminateOpenWorkflows(client: Client, taskQueue: string): Promise<void> {
  const query = `ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'`;
  for await (const wf of client.workflow.list({ query })) {
    await client.workflow
      .getHandle(wf.workflowId)
      .terminate('test over')
      .catch(() => undefined);
  }
}
