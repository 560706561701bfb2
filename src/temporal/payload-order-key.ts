/**
 * A webhook payload's order key as the queue keeps it (src/domain/order-key.ts, hashed by
 * src/store/order-key-hash.ts), evaluated where the hook accepts the payload: in the API process.
 * The key is user work (an IML template, maybe a regular expression), so it runs under a short time
 * bound (src/modules/time-bound.ts): a runaway one would hold every request of the process. Past
 * the bound the payload gets the empty key, as for any key that fails to evaluate.
 */
import { evaluateOrderKey, orderKeyTemplate, type Blueprint } from '../domain';
import { TimeBoundExceededError, withinTimeBound } from '../modules/time-bound';
import { hashOrderKey } from '../store';

/** Far above an honest key's evaluation (microseconds); short enough not to stall a hook's answer. */
export const ORDER_KEY_TIME_LIMIT_MS = 1000;

/** The payload's order key, hashed; undefined when the scenario does not order by key. */
export function payloadOrderKey(
  blueprint: Blueprint,
  payload: unknown,
  limitMs = ORDER_KEY_TIME_LIMIT_MS,
): string | undefined {
  const template = orderKeyTemplate(blueprint);
  if (template === undefined) return undefined;
  let key = '';
  try {
    key = withinTimeBound(() => evaluateOrderKey(template, blueprint.flow[0]?.id ?? 1, payload), limitMs);
  } catch (err) {
    if (!(err instanceof TimeBoundExceededError)) throw err;
  }
  return hashOrderKey(key);
}
