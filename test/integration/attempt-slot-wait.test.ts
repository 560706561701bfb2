/**
 * An IE whose attempt waits for the scenario's slot (issue 14): the store holds 3 attempt slots
 * in flight against a slow service; a 4th IE retried meanwhile shows `pending` with
 * `waitingForSlot`, not `in_progress`, can still be patched (its attempt then runs with the
 * patch) and a 5th can be deleted (its request is withdrawn; the others are not held up).
 */
import { useImexStack } from '../helpers/imex-stack';
import { ieDocument, waitForIeDocument } from '../helpers/ie-waits';
import { webhookTrigger } from '../helpers/blueprints';
import { waitFor } from '../../src/stack/wait';
import { toDlqListItem } from '../../src/api/schemas/dlqs';

const stack = useImexStack({ schedule: [60_000] });

const SLOW_MS = 5_000;

test('an IE waiting for an attempt slot is pending, takes a patch, and can be deleted', async () => {
  const keys = ['s1', 's2', 's3', 's4', 's5'];
  for (const k of keys) {
    const slow = ['s1', 's2', 's3'].includes(k);
    stack.http.script(`/slot/${k}`, { status: 400 }, { status: 200, ...(slow ? { delayMs: SLOW_MS } : {}) });
  }
  const scenarioId = await stack.imex.createScenario({
    name: 'slot wait',
    flow: [
      webhookTrigger,
      stack.http.httpModule(2, '/slot', {
        url: `${stack.http.url('/slot/')}{{1.k}}`,
        data: '{"k":"{{1.k}}","extra":"{{1.extra}}"}',
      }),
    ],
    metadata: { scenario: { dlq: true } },
  });
  const { executionId } = await stack.imex.imex.startScenarioRun({
    orgId: stack.imex.orgId,
    scenarioId,
    data: keys.map((k) => ({ k })),
  });
  const parked = (await stack.imex.imex.scenarioRunResult(executionId)).parked;
  expect(parked).toHaveLength(5);
  const ie = Object.fromEntries(keys.map((k, i) => [k, parked[i]?.ieId as string]));
  for (const id of Object.values(ie)) {
    await waitForIeDocument(stack.imex.store, id, 'the IE to wait for a person', (d) => d.status === 'unresolved');
  }

  // Three attempts take the scenario's three slots, against a slow service.
  for (const k of ['s1', 's2', 's3']) await stack.imex.imex.requestIncompleteExecution(ie[k]!, 'retry');
  const inFlight = () => ['s1', 's2', 's3'].every((k) => stack.http.count(`/slot/${k}`) >= 2);
  await waitFor('three slow attempts in flight', async () => (inFlight() ? true : undefined), {
    timeoutMs: 30_000,
  });
  // The slots are leases in the store (activities/scenario-leases.ts), not a coordinator's state.
  const leases = (kind: 'attempt' | 'wait') => stack.imex.store.leases.list(scenarioId, kind);
  const heldBy = async () => (await leases('attempt')).map((l) => l.ieId).sort();
  expect(await heldBy()).toEqual([ie.s1, ie.s2, ie.s3].sort());

  // A 4th and a 5th wait: pending, not in progress, and shown so.
  const waiting = await stack.imex.imex.requestIncompleteExecution(ie.s4!, 'retry');
  expect(waiting).toMatchObject({ status: 'pending', waitingForSlot: true, attempts: 0 });
  await stack.imex.imex.requestIncompleteExecution(ie.s5!, 'retry');
  const doc4 = await waitForIeDocument(
    stack.imex.store,
    ie.s4!,
    'the wait written through',
    (d) => d.waitingForSlot === true,
  );
  expect(doc4).toMatchObject({ status: 'pending', attempts: 0 });
  expect(toDlqListItem(doc4)).toMatchObject({ status: 'pending', waitingForSlot: true });
  await waitFor('both waits recorded', async () => ((await leases('wait')).length === 2 ? true : undefined), {
    timeoutMs: 10_000,
  });
  expect((await leases('wait')).map((w) => w.ieId).sort()).toEqual([ie.s4, ie.s5].sort());
  await expect(stack.imex.imex.requestIncompleteExecution(ie.s4!, 'retry')).rejects.toThrow(
    'an attempt is already waiting for a slot',
  );

  // Patched while it waits: the attempt reads its data after the grant.
  await stack.imex.imex.requestIncompleteExecution(ie.s4!, 'patch', {
    bundles: { '1': { value: { k: 's4', extra: 'patched' } } },
  });
  // Deleted while it waits: its wait is withdrawn.
  const deleted = await stack.imex.imex.requestIncompleteExecution(ie.s5!, 'delete');
  expect(deleted).toMatchObject({ deleted: true, waitingForSlot: false });
  expect(await ieDocument(stack.imex.store, ie.s5!)).toMatchObject({ deleted: true, waitingForSlot: false });
  expect((await leases('wait')).map((w) => w.ieId)).toEqual([ie.s4]);
  expect(stack.http.count('/slot/s3')).toBe(2); // the slow attempts still hold their slots

  const resolved = await waitForIeDocument(stack.imex.store, ie.s4!, 'the 4th IE to resolve', (d) => d.resolved);
  expect(resolved).toMatchObject({ attempts: 1, waitingForSlot: false });
  expect(JSON.parse(stack.http.requestsTo('/slot/s4').at(-1)?.body ?? '{}')).toEqual({ k: 's4', extra: 'patched' });
  expect(stack.http.count('/slot/s5')).toBe(1); // only the run that parked it
  for (const k of ['s1', 's2', 's3']) {
    await waitForIeDocument(stack.imex.store, ie[k]!, 'the slow attempts to resolve', (d) => d.resolved);
  }
  await waitFor(
    'every slot released',
    async () => ((await leases('wait')).length === 0 && (await leases('attempt')).length === 0 ? true : undefined),
    { timeoutMs: 10_000 },
  );
});
