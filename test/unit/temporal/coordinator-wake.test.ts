/**
 * Waking coordinators after webhooks: a burst costs one signal in flight per scenario plus one
 * after it (coalesced), scenarios do not wait on each other, and a failed wake is tried again.
 */
import { CoordinatorWake } from '../../../src/temporal/coordinator-wake';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

test('a burst of 500 wakes of one scenario sends two signals: the one in flight and one after it', async () => {
  const sent: { scenarioId: number; seq: number }[] = [];
  const first = gate();
  const wake = new CoordinatorWake(async (address, seq) => {
    sent.push({ scenarioId: address.scenarioId, seq });
    if (sent.length === 1) await first.opened;
  });
  for (let seq = 1; seq <= 500; seq++) wake.wake({ orgId: 1, scenarioId: 7 }, seq);
  wake.wake({ orgId: 1, scenarioId: 8 }, 1); // another scenario is not held back
  await new Promise((resolve) => setImmediate(resolve));
  expect(sent).toEqual([
    { scenarioId: 7, seq: 1 },
    { scenarioId: 8, seq: 1 },
  ]);
  first.open();
  await wake.settled();
  // The second signal carries the latest payload's number.
  expect(sent).toEqual([
    { scenarioId: 7, seq: 1 },
    { scenarioId: 8, seq: 1 },
    { scenarioId: 7, seq: 500 },
  ]);
});

test('a wake that fails (Temporal unreachable) is tried again until it gets through', async () => {
  let calls = 0;
  const errors: unknown[] = [];
  const wake = new CoordinatorWake(
    async () => {
      calls++;
      if (calls < 3) throw new Error('14 UNAVAILABLE: connection refused');
    },
    (err) => errors.push(err),
  );
  wake.wake({ orgId: 1, scenarioId: 9 }, 1);
  await wake.settled();
  expect(calls).toBe(3);
  expect(errors).toHaveLength(2);
  expect(wake.failed).toBe(0);
});
