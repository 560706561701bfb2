import {
  evaluateMapping,
  evaluateTemplate,
  findMappingProblems,
  parseReference,
  referencedModuleIds,
} from '../../../src/domain';

const context = {
  '1': {
    email: 'ada@example.com',
    total: 42,
    paid: true,
    nothing: null,
    order: {
      id: 'o-7',
      lines: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 2 },
      ],
    },
    tags: ['x', 'y'],
    'first name': 'Ada',
  },
  '2': { data: { nested: { deep: 'yes' } } },
};

describe('evaluateTemplate', () => {
  it('keeps the type of a whole-string expression', () => {
    expect(evaluateTemplate('{{1.total}}', context)).toBe(42);
    expect(evaluateTemplate('{{1.paid}}', context)).toBe(true);
    expect(evaluateTemplate('{{1.order}}', context)).toEqual(context['1'].order);
    expect(evaluateTemplate('{{ 1.tags }}', context)).toEqual(['x', 'y']);
  });

  it('interpolates mixed text, objects as JSON and missing values as empty text', () => {
    expect(evaluateTemplate('Hi {{1.email}}, you owe {{1.total}}', context)).toBe('Hi ada@example.com, you owe 42');
    expect(evaluateTemplate('o={{1.order.lines[1]}}', context)).toBe('o={"sku":"a","qty":1}');
    expect(evaluateTemplate('[{{1.missing}}|{{1.nothing}}|{{9.x}}]', context)).toBe('[||]');
  });

  it('finds nothing for a missing path in a whole-string expression', () => {
    expect(evaluateTemplate('{{1.order.nope.deeper}}', context)).toBeUndefined();
    expect(evaluateTemplate('{{7.email}}', context)).toBeUndefined();
  });

  it("reads arrays with Make's 1-based indexes", () => {
    expect(evaluateTemplate('{{1.order.lines[2].sku}}', context)).toBe('b');
    expect(evaluateTemplate('{{1.tags[1]}}', context)).toBe('x');
    expect(evaluateTemplate('{{1.tags[3]}}', context)).toBeUndefined();
  });

  it('collects a field of every item with []', () => {
    expect(evaluateTemplate('{{1.order.lines[].qty}}', context)).toEqual([1, 2]);
  });

  it('reads backtick-quoted keys', () => {
    expect(evaluateTemplate('{{1.`first name`}}', context)).toBe('Ada');
  });

  it('reads only own properties, never the prototype chain', () => {
    expect(evaluateTemplate('{{1.constructor}}', context)).toBeUndefined();
    expect(evaluateTemplate('{{1.email.length}}', context)).toBeUndefined();
    expect(evaluateTemplate('{{1.__proto__}}', context)).toBeUndefined();
  });

  it('leaves text without expressions alone', () => {
    expect(evaluateTemplate('plain {text}', context)).toBe('plain {text}');
    expect(evaluateTemplate('{{unclosed', context)).toBe('{{unclosed');
  });
});

describe('evaluateMapping', () => {
  it('walks nested objects and arrays and leaves out fields that mapped to nothing', () => {
    const mapper = {
      url: 'https://x/{{1.order.id}}',
      headers: [{ name: 'X-Total', value: '{{1.total}}' }, '{{1.missing}}'],
      body: { deep: '{{2.data.nested.deep}}', gone: '{{2.data.absent}}' },
      count: 3,
      flag: false,
      empty: null,
    };
    expect(evaluateMapping(mapper, context)).toEqual({
      url: 'https://x/o-7',
      headers: [{ name: 'X-Total', value: 42 }],
      body: { deep: 'yes' },
      count: 3,
      flag: false,
      empty: null,
    });
  });
});

describe('references', () => {
  it('lists the module ids a mapper references, once each, ascending', () => {
    expect(referencedModuleIds({ a: '{{3.x}} and {{1.y}}', b: ['{{3.z}}'], c: 'no mapping' })).toEqual([1, 3]);
  });

  it('parses paths into steps', () => {
    expect(parseReference('12.a[2].`b c`[]')).toEqual({
      moduleId: 12,
      path: [{ kind: 'key', key: 'a' }, { kind: 'index', index: 2 }, { kind: 'key', key: 'b c' }, { kind: 'each' }],
    });
    expect(parseReference('1.a[0]')).toBeUndefined();
    expect(parseReference('0.a')).toBeUndefined();
  });

  it('finds references inside functions and operators', () => {
    expect(referencedModuleIds({ a: '{{lower(trim(3.email))}}', b: '{{1.price * 2.qty}}', c: '{{now}}' })).toEqual([
      1, 2, 3,
    ]);
  });

  it('reports syntax errors and unknown functions with where they are', () => {
    expect(findMappingProblems({ a: '{{now}}', b: ['{{add(1.a; 2)}}'], c: '{{1.ok}}', d: 'x{{nope(1)}}' })).toEqual([
      { path: ['d'], expression: 'nope(1)', position: 3, message: "unknown function 'nope' at position 3" },
    ]);
  });
});
