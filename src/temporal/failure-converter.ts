/**
 * Failure messages and stack traces can quote user data (an HTTP response, a mapped value), so
 * they travel as an encoded attribute that the payload codec encrypts; the history shows
 * "Encoded failure" in their place. Loaded by path, in the workflow sandbox too (keep it pure).
 * Decoding reads the encoded attribute whenever it is there, so histories written without it
 * still read as before.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
