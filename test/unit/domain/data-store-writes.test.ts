import {
  checkRecordData,
  netEffect,
  overlayRecords,
  recordBytes,
  usesDataStores,
  type DataStructureSpec,
  type StagedStep,
} from '../../../src/domain';

const put = (store: number, key: string, data: Record<string, unknown>) => ({ store, kind: 'put' as const, key, data });
const del = (store: number, key: string) => ({ store, kind: 'delete' as const, key });
const clear = (store: number) => ({ store, kind: 'clear' as const });

describe('netEffect: what a commit writes', () => {
  test('later steps win, per key, in seq order whatever order they come in', () => {
    const steps: StagedStep[] = [
      { seq: 3, writes: [put(1, 'a', { v: 3 })] },
      { seq: 1, writes: [put(1, 'a', { v: 1 }), put(1, 'b', { v: 1 })] },
      { seq: 2, writes: [del(1, 'b')] },
    ];
    expect(netEffect(steps)).toEqual({ '1': { clear: false, keep: [], writes: { a: { v: 3 }, b: null } } });
  });

  test('a clear drops the writes before it and keeps those after it', () => {
    const steps: StagedStep[] = [
      { seq: 1, writes: [put(1, 'a', { v: 1 })] },
      { seq: 2, writes: [clear(1)] },
      { seq: 3, writes: [put(1, 'c', { v: 3 })] },
      { seq: 4, writes: [put(2, 'x', { v: 4 })] },
    ];
    expect(netEffect(steps)).toEqual({
      '1': { clear: true, keep: [], writes: { c: { v: 3 } } },
      '2': { clear: false, keep: [], writes: { x: { v: 4 } } },
    });
  });

  test('the trigger committed last does not undo what later modules committed before it', () => {
    // The trigger (seq 1) wrote a and b and cleared store 2; module steps 2 and 3 committed already.
    const trigger: StagedStep[] = [{ seq: 1, writes: [clear(3), put(1, 'a', { v: 1 }), put(1, 'b', { v: 1 })] }];
    const laterCommitted: StagedStep[] = [
      { seq: 2, writes: [put(1, 'a', { v: 2 }), put(3, 'k', { v: 2 })] },
      { seq: 3, writes: [] },
    ];
    expect(netEffect(trigger, laterCommitted)).toEqual({
      '1': { clear: false, keep: ['a'], writes: { b: { v: 1 } } },
      '3': { clear: true, keep: ['k'], writes: {} },
    });
    // A later clear of the store makes the trigger's writes to it moot.
    expect(netEffect(trigger, [{ seq: 5, writes: [clear(1)] }])).toEqual({
      '3': { clear: true, keep: [], writes: {} },
    });
  });
});

describe('overlayRecords: a run reads its own staged writes', () => {
  test('puts, deletes and clears of the store apply in seq order; other stores are ignored', () => {
    const committed = new Map([
      ['a', { v: 0 }],
      ['b', { v: 0 }],
    ]);
    const view = overlayRecords(1, committed, [
      { seq: 2, writes: [del(1, 'a'), put(2, 'b', { other: true })] },
      { seq: 1, writes: [put(1, 'c', { v: 1 })] },
    ]);
    expect([...view]).toEqual([
      ['b', { v: 0 }],
      ['c', { v: 1 }],
    ]);
    expect([...overlayRecords(1, committed, [{ seq: 1, writes: [clear(1), put(1, 'z', { v: 1 })] }])]).toEqual([
      ['z', { v: 1 }],
    ]);
    expect(committed.size).toBe(2); // the committed map is not changed
  });
});

test('recordBytes counts UTF-8 bytes of the key and the data as JSON', () => {
  expect(recordBytes('k', {})).toBe(3);
  expect(recordBytes('é', { a: '€' })).toBe(2 + '{"a":"'.length + 3 + 2);
});

test('usesDataStores looks into routes and error-handler routes', () => {
  const module = (id: number, type: string, more: Record<string, unknown> = {}) =>
    ({ id, module: type, version: 1, parameters: {}, mapper: {}, ...more }) as never;
  expect(usesDataStores([module(1, 'gateway:CustomWebHook'), module(2, 'http:ActionSendData')])).toBe(false);
  expect(usesDataStores([module(1, 'x:Y', { routes: [{ flow: [module(2, 'datastore:GetRecord')] }] })])).toBe(true);
  expect(usesDataStores([module(1, 'x:Y', { onerror: [module(2, 'datastore:AddRecord')] })])).toBe(true);
});

describe('checkRecordData: Make types, coerced on write', () => {
  const structure: DataStructureSpec = {
    strict: true,
    spec: [
      { name: 'name', type: 'text', required: true },
      { name: 'age', type: 'number' },
      { name: 'vip', type: 'boolean' },
      { name: 'since', type: 'date' },
      { name: 'tags', type: 'array', spec: { name: 'tag', type: 'text' } },
      { name: 'address', type: 'collection', spec: [{ name: 'zip', type: 'number', required: true }] },
      { name: 'status', type: 'text', default: 'new' },
    ],
  };

  test('coerces each field as Make does and applies defaults', () => {
    const check = checkRecordData(structure, {
      name: 42,
      age: ' 7 ',
      vip: 0,
      since: 0,
      tags: 'one',
      address: { zip: '1000' },
    });
    expect(check).toEqual({
      ok: true,
      data: {
        name: '42',
        age: 7,
        vip: true, // Make: any number is true, even 0
        since: '1970-01-01T00:00:00.000Z',
        tags: ['one'],
        address: { zip: 1000 },
        status: 'new',
      },
    });
    expect(checkRecordData(structure, { name: 'x', vip: 'false' })).toMatchObject({ ok: true, data: { vip: false } });
  });

  test('names every field that does not fit, and why', () => {
    const check = checkRecordData(structure, { age: 'seven', since: 'not a date', address: { zip: null }, extra: 1 });
    expect(check.ok).toBe(false);
    expect(!check.ok && check.errors).toEqual([
      { path: 'data.name', message: 'required' },
      { path: 'data.age', message: 'expected a number, got text "seven"' },
      { path: 'data.since', message: expect.stringContaining('expected a date') },
      { path: 'data.address.zip', message: 'required' },
      { path: 'data.extra', message: 'not a field of the data structure (strict)' },
    ]);
  });

  test('an update checks only the fields it gives; no structure accepts any object', () => {
    expect(checkRecordData(structure, { age: 3 }, { partial: true })).toEqual({ ok: true, data: { age: 3 } });
    expect(checkRecordData(undefined, { anything: [1, { a: 2 }] })).toEqual({
      ok: true,
      data: { anything: [1, { a: 2 }] },
    });
    expect(checkRecordData(undefined, [1])).toMatchObject({ ok: false });
  });
});
