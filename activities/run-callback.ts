/**
 * Make's `callbackUrl`: when a run on demand that asked for one ends, its outcome is POSTed there
 * as JSON (`RunCallbackBody`). Called by the run's workflow before it closes, so a worker crash
 * only delays it; a receiver that does not answer 2xx is tried again (the workflow's retry policy
 * bounds how often). The receiver may get it twice (a retry after a lost answer): `executionId`
 * identifies the run, and the `Idempotency-Key` header carries it too.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { RunCallbackBody } from '../src/domain';

export interface RunCallbackInput {
  url: string;
  body: RunCallbackBody;
}

const CALLBACK_TIMEOUT_MS = 10_000;

export async function deliverRunCallback(input: RunCallbackInput): Promise<{ status: number }> {
  let response: Response;
  try {
    response = await fetch(input.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': input.body.executionId },
      body: JSON.stringify(input.body),
      signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
      redirect: 'manual',
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw ApplicationFailure.retryable(`the callback URL could not be reached (${cause})`, 'ConnectionError');
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status >= 300) {
    throw ApplicationFailure.retryable(`the callback URL answered HTTP ${response.status}`, 'ConnectionError');
  }
  return { status: response.status };
}
