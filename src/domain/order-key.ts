/**
 * Ordering per business key (issue 22): a sequential webhook scenario may name a key,
 * `metadata.scenario.imex.orderKey`, an IML template over the trigger's bundle (`{{1.customerId}}`).
 * Then a payload waits only while an open incomplete execution has the same key, and payloads
 * with the same key keep their arrival order; other keys run (one run at a time still).
 *
 * The key is evaluated once, when the hook accepts the payload, over the bundle the trigger will
 * output for it (its first one): the same payload always gives the same key, and the coordinator
 * can pick the next payload without reading any payload. A key that cannot be evaluated, or is
 * empty, is the empty key: a key of its own (docs/incomplete-executions.md#ordering-per-key).
 *
 * Pure; the key's hash (what the store keeps) is made in src/store/order-key-hash.ts.
 */
import type { Blueprint } from './blueprint';
import { hasWebhookTrigger } from './coordination';
import { evaluateTemplate, findMappingProblems, referencedModuleIds } from './mapping';

export const ORDER_KEY_FIELD = 'metadata.scenario.imex.orderKey';

type OrderKeySettings = { sequential?: boolean; imex?: { orderKey?: string } };

/** The scenario's key template when ordering per key applies (a sequential webhook scenario with one). */
export function orderKeyTemplate(blueprint: Blueprint): string | undefined {
  const settings = blueprint.metadata?.scenario as OrderKeySettings | undefined;
  const template = settings?.imex?.orderKey;
  if (template === undefined || settings?.sequential !== true || !hasWebhookTrigger(blueprint)) return undefined;
  return template;
}

/** The bundle a webhook trigger outputs first for this payload (gateway-custom-webhook.ts). */
function firstTriggerBundle(payload: unknown): unknown {
  const first = Array.isArray(payload) ? payload[0] : payload;
  if (first === undefined || first === null) return {};
  return typeof first === 'object' && !Array.isArray(first) ? first : { value: first };
}

/**
 * The payload's key as text: '' (the empty key) when the template finds nothing, evaluates to an
 * empty value or fails (a function error, a bound passed).
 */
export function evaluateOrderKey(template: string, triggerModuleId: number, payload: unknown): string {
  let value: unknown;
  try {
    value = evaluateTemplate(template, { [String(triggerModuleId)]: firstTriggerBundle(payload) });
  } catch {
    return '';
  }
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** Why the blueprint's `orderKey` cannot be used; empty when it can (or is absent). */
export function orderKeyProblems(blueprint: Blueprint): string[] {
  const settings = blueprint.metadata?.scenario as OrderKeySettings | undefined;
  const template = settings?.imex?.orderKey;
  if (template === undefined) return [];
  const problems: string[] = [];
  if (settings?.sequential !== true)
    problems.push('orderKey orders a sequential scenario: set metadata.scenario.sequential to true');
  if (!hasWebhookTrigger(blueprint)) {
    problems.push('orderKey is evaluated over webhook payloads: the first module must be gateway:CustomWebHook');
  }
  if (!/\{\{[\s\S]*\}\}/.test(template)) {
    problems.push('orderKey must map the trigger bundle, e.g. "{{1.customerId}}"');
  }
  for (const problem of findMappingProblems(template)) problems.push(`{{${problem.expression}}}: ${problem.message}`);
  const triggerId = blueprint.flow[0]?.id;
  for (const id of referencedModuleIds(template)) {
    if (id !== triggerId) problems.push(`orderKey may map only the trigger (module ${triggerId}), not module ${id}`);
  }
  return problems;
}
