/**
 * A webhook payload's order key, as the hook evaluates it (src/temporal/payload-order-key.ts):
 * hashed, absent for a scenario without a key, and the empty key when the key's evaluation runs
 * away (a regular expression backtracking without end), stopped at its bound instead of holding
 * the API process.
 */
import { blueprintSchema } from '../../../src/domain';
import { hashOrderKey } from '../../../src/store/order-key-hash';
import { payloadOrderKey } from '../../../src/temporal/payload-order-key';
import { httpSendDataModule, webhookTrigger } from '../../helpers/blueprints';

function keyed(orderKey?: string) {
  return blueprintSchema.parse({
    flow: [webhookTrigger, httpSendDataModule(2, 'http://127.0.0.1:9/crm')],
    metadata: { scenario: { sequential: true, ...(orderKey ? { imex: { orderKey } } : {}) } },
  });
}

test('a payload of a keyed scenario gets its key, hashed; a scenario without a key gives none', () => {
  expect(payloadOrderKey(keyed('{{1.customerId}}'), { customerId: 'A' })).toBe(hashOrderKey('A'));
  expect(payloadOrderKey(keyed('{{1.customerId}}'), { id: 1 })).toBe(hashOrderKey(''));
  expect(payloadOrderKey(keyed(), { customerId: 'A' })).toBeUndefined();
});

test('a key whose evaluation runs away is stopped at its bound and is the empty key', () => {
  const runaway = keyed('{{replace(1.text; /^(a+)+$/; "x")}}');
  expect(payloadOrderKey(runaway, { text: `${'a'.repeat(40)}b` }, 100)).toBe(hashOrderKey(''));
  // The bound is usable again afterwards.
  expect(payloadOrderKey(runaway, { text: 'aaa' }, 100)).toBe(hashOrderKey('x'));
});
