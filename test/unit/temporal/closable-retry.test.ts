/**
 * Closing a connection while the SDK's retry of a failed call is scheduled: the retry fires on the
 * open channel and is not retried again, instead of opening a call on the closed channel from a
 * timer (an uncaught "Channel has been shut down" that fails whatever runs in the process).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { closableRetry } from '../../../src/temporal/closable-retry';
import { freePort } from '../../../src/stack/free-port';

test('a connection closed mid-retry ends its calls with an error and throws nothing from a timer', async () => {
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const retry = closableRetry({ maxAttempts: 10 });
    // Nothing listens there: every call fails UNAVAILABLE and is retried with backoff.
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}`, interceptors: retry.interceptors });
    const calls = [1, 2, 3].map(() =>
      connection.workflowService.getSystemInfo({}).then(
        () => 'answered',
        (err: Error) => err.message,
      ),
    );
    await sleep(250); // the first tries have failed; retries are scheduled
    await retry.close(connection);
    // A call whose retry threw from a timer never settles: give up on it after a while.
    const outcomes = await Promise.all(calls.map((call) => Promise.race([call, sleep(5_000).then(() => 'hung')])));
    expect(outcomes).not.toContain('hung');
    expect(outcomes.every((outcome) => outcome !== 'answered')).toBe(true);
    await sleep(1_000); // longer than any retry scheduled before close
    expect(uncaught).toEqual([]);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});
