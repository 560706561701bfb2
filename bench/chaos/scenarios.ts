/**
 * The chaos suite's scenarios, one per run kind; every one ends at the downstream's `/effects`,
 * which fails each bundle that reaches it until the service recovers. Storing is on with a fast
 * auto-retry schedule and fast in-run retries, so IEs park, retry and settle in seconds.
 *
 * - `single`: webhook → HTTP (one bundle);
 * - `large`: the same with a trigger bundle over 64 KiB, kept as a blob;
 * - `iterator`: webhook → builtin:BasicFeeder over `items` → HTTP per item (a fan-out);
 * - `parse-json`: webhook → json:ParseJSON of an array (a module returning many bundles) → HTTP;
 * - `gate-fan-out`: webhook → HTTP (the gate, failing while the service is down) →
 *   builtin:BasicFeeder over `items` → HTTP per item: the IE parked at the gate is attempted after
 *   the recovery, and its attempt meets the fan-out (refused items fail in the attempt);
 * - `webhook`: as `single`, its payloads accepted through the hook (the webhook queue) rather than
 *   as runs on demand.
 */
import { blueprintSchema, type Blueprint, type RetrySchedule } from '../../src/domain';
import { fastInRunRetries } from '../../test/helpers/imex-harness';
import { httpSendDataModule, webhookTrigger } from '../../test/helpers/blueprints';
import type { PlannedRun, RunKind } from './plan';

/** The module that fails for each of a run's items (stored as `failer`). */
export const FAILER: Record<RunKind, number> = {
  single: 2,
  large: 2,
  iterator: 3,
  'parse-json': 3,
  'gate-fan-out': 4,
  webhook: 2,
};

/** `gate-fan-out`: the module before the fan-out, which fails while the service is down. */
export const GATE_FAILER = 2;

function effectModule(id: number, url: string, item: string) {
  return httpSendDataModule(id, url, { data: `{"run":"{{1.run}}","item":"${item}"}`, timeout: 10 });
}

export function chaosBlueprint(kind: RunKind, effectsUrl: string, schedule: RetrySchedule): Blueprint {
  const fanOut =
    kind === 'iterator' || kind === 'gate-fan-out'
      ? { id: 2, module: 'builtin:BasicFeeder', version: 1, parameters: {}, mapper: { array: '{{1.items}}' } }
      : { id: 2, module: 'json:ParseJSON', version: 1, parameters: {}, mapper: { json: '{{1.itemsJson}}' } };
  const flow =
    kind === 'single' || kind === 'large' || kind === 'webhook'
      ? [webhookTrigger, effectModule(2, effectsUrl, '0')]
      : kind === 'gate-fan-out'
        ? [
            webhookTrigger,
            effectModule(GATE_FAILER, effectsUrl, 'gate'),
            { ...fanOut, id: 3 },
            effectModule(4, effectsUrl, '{{3.n}}'),
          ]
        : [webhookTrigger, fanOut, effectModule(3, effectsUrl, '{{2.n}}')];
  return blueprintSchema.parse({
    name: `chaos: ${kind}`,
    flow,
    metadata: { scenario: { dlq: true, imex: { policy: fastInRunRetries, schedule: [...schedule] } } },
  });
}

/** The run's trigger data. */
export function chaosRunData(run: PlannedRun, largeBytes: number): Record<string, unknown> {
  const items = run.items.map((_, n) => ({ n: String(n) }));
  switch (run.kind) {
    case 'single':
    case 'webhook':
      return { run: run.key };
    case 'large':
      return { run: run.key, filler: 'x'.repeat(largeBytes) };
    case 'iterator':
    case 'gate-fan-out':
      return { run: run.key, items };
    case 'parse-json':
      return { run: run.key, itemsJson: JSON.stringify(items) };
  }
}
