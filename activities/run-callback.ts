/**
 * Make's `callbackUrl`: when a run on demand that asked for one ends, its outcome is POSTed there
 * as JSON (`RunCallbackBody`). Called by the run's workflow before it closes, so a worker crash
 * only delays it; a receiver that does not answer 2xx is tried again (the workflow's retry policy
 * bounds how often). The receiver may get it twice (a retry after a lost answer): `executionId`
 * identifies the run, and the `Idempotency-Key` header carries it too.
 *
 * The URL is the caller's: it goes through the egress policy as modules' requests do, and a
 * refused one is not tried again.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ModuleError, type RunCallbackBody } from '../src/domain';
import type { EgressPolicy } from '../src/egress/egress-policy';
import { sendHttpRequest, type HttpResponse } from '../src/modules/http-transport';

export interface RunCallbackInput {
  url: string;
  body: RunCallbackBody;
}

const CALLBACK_TIMEOUT_MS = 10_000;
/** The receiver's answer is not read; a large one is cut off rather than kept. */
const CALLBACK_MAX_RESPONSE_BYTES = 64 * 1024;

export function createDeliverRunCallback(egress: EgressPolicy) {
  return async function deliverRunCallback(input: RunCallbackInput): Promise<{ status: number }> {
    let response: HttpResponse;
    try {
      response = await sendHttpRequest({
        url: new URL(input.url),
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': input.body.executionId },
        body: Buffer.from(JSON.stringify(input.body)),
        timeoutMs: CALLBACK_TIMEOUT_MS,
        maxResponseBytes: CALLBACK_MAX_RESPONSE_BYTES,
        followRedirect: false,
        followAllRedirects: false,
        rejectUnauthorized: true,
        gzip: false,
        signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
        egress,
      });
    } catch (error) {
      if (error instanceof ModuleError && error.category === 'InvalidConfigurationError') {
        throw ApplicationFailure.nonRetryable(`the callback URL is refused: ${error.message}`, error.category);
      }
      const cause = error instanceof ModuleError ? error.message : (error as Error).message;
      throw ApplicationFailure.retryable(`the callback URL could not be reached (${cause})`, 'ConnectionError');
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw ApplicationFailure.retryable(`the callback URL answered HTTP ${response.statusCode}`, 'ConnectionError');
    }
    return { status: response.statusCode };
  };
}
