import {
  blueprintSchema,
  evaluateOrderKey,
  orderKeyTemplate,
  validateBlueprint,
  type BlueprintValidationResult,
} from '../../../src/domain';
import { createDefaultRegistry } from '../../../src/modules';
import { hashOrderKey } from '../../../src/store/order-key-hash';
import { httpSendDataModule, webhookTrigger } from '../../helpers/blueprints';

const registry = createDefaultRegistry();
const crm = httpSendDataModule(2, 'http://127.0.0.1:9/crm', { data: '{{1.id}}' });

function blueprint(scenario: Record<string, unknown>, flow: unknown[] = [webhookTrigger, crm]) {
  return { name: 'keyed', flow, metadata: { scenario } };
}

function errorsOf(result: BlueprintValidationResult) {
  return result.ok ? [] : result.errors;
}

describe('order key evaluation', () => {
  it.each([
    ['a text value', { customerId: 'A-17' }, 'A-17'],
    ['a number, as text', { customerId: 42 }, '42'],
    ['a missing value: the empty key', { id: 'x' }, ''],
    ['an empty value: the empty key', { customerId: '' }, ''],
    ['an array payload: its first bundle', [{ customerId: 'B' }, { customerId: 'C' }], 'B'],
    ['no payload at all: the empty key', undefined, ''],
  ])('%s', (_name, payload, expected) => {
    expect(evaluateOrderKey('{{1.customerId}}', 1, payload)).toBe(expected);
  });

  it('writes a collection as JSON', () => {
    expect(evaluateOrderKey('{{1.customer}}', 1, { customer: { id: 1 } })).toBe('{"id":1}');
  });

  it('interpolates text around expressions and maps through functions', () => {
    expect(evaluateOrderKey('{{lower(1.region)}}:{{1.customerId}}', 1, { region: 'EU', customerId: 7 })).toBe('eu:7');
  });

  it('gives the empty key when a function fails', () => {
    expect(evaluateOrderKey('{{parseDate(1.when; "YYYY-MM-DD")}}', 1, { when: 'not a date' })).toBe('');
  });

  it('applies only to a sequential webhook scenario that names one', () => {
    const keyed = blueprintSchema.parse(blueprint({ sequential: true, imex: { orderKey: '{{1.customerId}}' } }));
    expect(orderKeyTemplate(keyed)).toBe('{{1.customerId}}');
    expect(orderKeyTemplate(blueprintSchema.parse(blueprint({ sequential: true })))).toBeUndefined();
  });

  it('hashes a key with SHA-256 (the store never keeps it as it is)', () => {
    expect(hashOrderKey('A')).toBe('559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd');
    expect(hashOrderKey('')).not.toBe(hashOrderKey(' '));
  });
});

describe('order key validation (metadata.scenario.imex.orderKey)', () => {
  it('accepts a key over the trigger of a sequential webhook scenario', () => {
    const result = validateBlueprint(
      blueprint({ sequential: true, dlq: true, imex: { orderKey: '{{1.customerId}}' } }),
      registry,
    );
    expect(errorsOf(result)).toEqual([]);
  });

  it.each([
    [
      'a syntax error',
      { sequential: true, imex: { orderKey: '{{1.customerId' } },
      [webhookTrigger, crm],
      /orderKey must map the trigger bundle|syntax error/,
    ],
    [
      'a key without a mapping',
      { sequential: true, imex: { orderKey: 'customer' } },
      [webhookTrigger, crm],
      /must map/,
    ],
    [
      'a key that maps a later module',
      { sequential: true, imex: { orderKey: '{{2.id}}' } },
      [webhookTrigger, crm],
      /only the trigger \(module 1\), not module 2/,
    ],
    [
      'a scenario that is not sequential',
      { sequential: false, imex: { orderKey: '{{1.customerId}}' } },
      [webhookTrigger, crm],
      /set metadata.scenario.sequential to true/,
    ],
    [
      'a scenario without a webhook trigger',
      { sequential: true, imex: { orderKey: '{{1.customerId}}' } },
      [httpSendDataModule(1, 'http://127.0.0.1:9/poll'), crm],
      /must be gateway:CustomWebHook/,
    ],
  ])('refuses %s, naming the field', (_name, scenario, flow, reason) => {
    const errors = errorsOf(validateBlueprint(blueprint(scenario, flow), registry));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.path === 'metadata.scenario.imex.orderKey')).toBe(true);
    expect(errors.map((e) => e.message).join('\n')).toMatch(reason);
  });

  it('refuses an empty key by its schema', () => {
    const errors = errorsOf(validateBlueprint(blueprint({ sequential: true, imex: { orderKey: '' } }), registry));
    expect(errors).toEqual([expect.objectContaining({ path: 'metadata.scenario.imex.orderKey' })]);
  });
});
