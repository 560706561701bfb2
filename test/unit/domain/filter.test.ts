import { compare, evaluateFilter, filterOperators, isFilterOperator, type Filter } from '../../../src/domain';

describe('filter operators', () => {
  test.each([
    ['text:equal', 'Paid', 'Paid', true],
    ['text:equal', 'Paid', 'paid', false],
    ['text:equal:ci', 'Paid', 'paid', true],
    ['text:notequal', 'a', 'b', true],
    ['text:notequal:ci', 'A', 'a', false],
    ['text:contain', 'order shipped', 'ship', true],
    ['text:contain:ci', 'order SHIPPED', 'ship', true],
    ['text:notcontain', 'order', 'ship', true],
    ['text:notcontain:ci', 'SHIP', 'ship', false],
    ['text:startwith', 'INV-001', 'INV', true],
    ['text:startwith:ci', 'inv-001', 'INV', true],
    ['text:notstartwith', 'INV-001', 'ORD', true],
    ['text:endwith', 'a.pdf', '.pdf', true],
    ['text:endwith:ci', 'A.PDF', '.pdf', true],
    ['text:notendwith', 'a.pdf', '.pdf', false],
    ['text:pattern', 'order-42', '^order-\\d+$', true],
    ['text:pattern:ci', 'ORDER-42', '/^order-\\d+$/', true],
    ['text:notpattern', 'order-x', '^order-\\d+$', true],
    ['text:pattern', 'x', '([', false],
    ['text:equal', 42, '42', true],
    ['text:equal', undefined, '', true],
    ['number:equal', '10', 10, true],
    ['number:notequal', 10, 11, true],
    ['number:greater', '10.5', '10', true],
    ['number:less', 3, 10, true],
    ['number:greaterorequal', 10, '10', true],
    ['number:lessorequal', 11, 10, false],
    ['number:greater', 'abc', 1, false],
    ['number:equal', '', 0, false],
    ['date:greater', '2024-02-01', '2024-01-31T23:59:59Z', true],
    ['date:less', '2024-02-01', 'not a date', false],
    ['date:equal', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z', true],
    ['exist', 'x', undefined, true],
    ['exist', '', undefined, false],
    ['exist', 0, undefined, true],
    ['notexist', undefined, undefined, true],
    ['notexist', null, undefined, true],
    ['boolean:equal', true, 'true', true],
    ['boolean:equal', 'false', false, true],
    ['boolean:notequal', 1, 'false', true],
    ['array:contain', ['a', 'b'], 'b', true],
    ['array:contain', ['a', 'b'], 'B', false],
    ['array:contain:ci', ['a', 'b'], 'B', true],
    ['array:notcontain', ['a'], 'b', true],
    ['array:notcontain:ci', ['A'], 'a', false],
    ['array:contain', [1, 2], '2', true],
    ['array:equal', [1, 2], 2, true],
    ['array:notequal', [1], 2, true],
    ['array:greater', [1, 2, 3], '2', true],
    ['array:less', [], 1, true],
    ['array:greaterorequal', [1], 1, true],
    ['array:lessorequal', [1, 2], 1, false],
    ['text:nonsense', 'a', 'a', false],
    ['number:equal:ci', 1, 1, false],
  ] as const)('%s(%j, %j) is %s', (operator, a, b, expected) => {
    expect(compare(operator, a, b)).toBe(expected);
  });

  test('every listed operator is known, and only those', () => {
    for (const operator of filterOperators) expect(isFilterOperator(operator)).toBe(true);
    expect(isFilterOperator('text:equals')).toBe(false);
    expect(isFilterOperator(undefined)).toBe(false);
  });
});

describe('evaluateFilter', () => {
  const context = { '1': { status: 'paid', total: 120, tags: ['vip'] } };
  const filter = (conditions: Filter['conditions']): Filter => ({ name: 'f', conditions });

  test('maps both sides before comparing', () => {
    const f = filter([[{ a: '{{1.total}}', o: 'number:greater', b: '{{1.limit}}' }]]);
    expect(evaluateFilter(f, { '1': { total: 5, limit: 3 } })).toBe(true);
    expect(evaluateFilter(f, { '1': { total: 2, limit: 3 } })).toBe(false);
  });

  test('is an OR of ANDs', () => {
    const paidAndBig = [
      { a: '{{1.status}}', o: 'text:equal', b: 'paid' },
      { a: '{{1.total}}', o: 'number:greater', b: '500' },
    ];
    const vip = [{ a: '{{1.tags}}', o: 'array:contain', b: 'vip' }];
    expect(evaluateFilter(filter([paidAndBig]), context)).toBe(false);
    expect(evaluateFilter(filter([paidAndBig, vip]), context)).toBe(true);
  });

  test('no filter or no conditions lets everything through', () => {
    expect(evaluateFilter(undefined, context)).toBe(true);
    expect(evaluateFilter(filter([]), context)).toBe(true);
  });

  test('a missing value fails exist and passes notexist', () => {
    expect(evaluateFilter(filter([[{ a: '{{1.nope}}', o: 'exist' }]]), context)).toBe(false);
    expect(evaluateFilter(filter([[{ a: '{{1.nope}}', o: 'notexist' }]]), context)).toBe(true);
  });
});
