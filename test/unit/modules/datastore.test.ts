/** The `datastore:` modules through the module contract, over an in-memory view of one store. */
import type { DataStoreWrite } from '../../../src/domain';
import { createDefaultRegistry, invokeModule, type DataStoreAccess, type ModuleExecution } from '../../../src/modules';

const registry = createDefaultRegistry();
const execution: ModuleExecution = { executionId: 'd'.repeat(32), moduleId: 2, bundleIndex: 0, attempt: 1 };

function memoryStore(records: Record<string, Record<string, unknown>>, maxSizeBytes = 1024 * 1024) {
  const staged: DataStoreWrite[][] = [];
  const access: DataStoreAccess = {
    async open(id) {
      if (id !== 7) return undefined;
      return {
        id,
        name: 'memory',
        maxSizeBytes,
        get: async (key) => records[key],
        all: async () => Object.entries(records).map(([key, data]) => ({ key, data })),
        usage: async () => ({ sizeBytes: 0, recordBytes: 0 }),
      };
    },
    async stage(writes) {
      staged.push(writes);
    },
  };
  return { access, staged };
}

const run = (type: string, mapper: unknown, access?: DataStoreAccess, idempotencyKey = 'key-1', parameters = {}) =>
  invokeModule(registry.get(type)!, {
    parameters: { datastore: 7, ...parameters },
    mapper,
    execution,
    idempotencyKey,
    ...(access ? { dataStores: access } : {}),
  });

test('AddRecord generates the same key for every retry of an operation, another for another operation', async () => {
  const { access, staged } = memoryStore({});
  const [first] = await run('datastore:AddRecord', { data: { a: 1 } }, access, 'op-1');
  const [retry] = await run('datastore:AddRecord', { key: '', data: { a: 1 } }, access, 'op-1');
  const [other] = await run('datastore:AddRecord', { data: { a: 1 } }, access, 'op-2');
  expect(first).toEqual(retry);
  expect(other?.key).not.toEqual(first?.key);
  expect(staged[0]).toEqual([{ store: 7, kind: 'put', key: first?.key, data: { a: 1 } }]);
});

test("errors in Make's categories", async () => {
  const { access } = memoryStore({ k: { a: 1 } });
  await expect(run('datastore:GetRecord', { key: 'k' })).rejects.toMatchObject({
    category: 'InvalidConfigurationError',
  });
  await expect(run('datastore:GetRecord', { key: 'k' }, access, 'x', { datastore: 8 })).rejects.toMatchObject({
    category: 'InvalidConfigurationError',
    message: 'data store 8 not found in this organization',
  });
  await expect(run('datastore:AddRecord', { key: 'k', data: {} }, access)).rejects.toMatchObject({
    category: 'DuplicateDataError',
  });
  await expect(run('datastore:UpdateRecord', { key: 'nope', data: {} }, access)).rejects.toMatchObject({
    category: 'DataError',
  });
  await expect(run('datastore:GetRecord', { key: '' }, access)).rejects.toMatchObject({ category: 'DataError' });
  const tiny = memoryStore({}, 10).access;
  await expect(run('datastore:AddRecord', { key: 'k', data: { text: 'too long' } }, tiny)).rejects.toMatchObject({
    category: 'OutOfSpaceError',
  });
});

test('SearchRecord: OR of AND groups, nested fields, key, sort with missing values last', async () => {
  const { access } = memoryStore({
    a: { n: 1, address: { city: 'Oslo' } },
    b: { n: 3, address: { city: 'Rome' } },
    c: { address: { city: 'Oslo' } },
    d: { n: 2, address: { city: 'Paris' } },
  });
  const found = await run(
    'datastore:SearchRecord',
    {
      filter: [[{ a: 'address.city', o: 'text:equal', b: 'Oslo' }], [{ a: 'key', o: 'text:equal', b: 'b' }]],
      sort: [{ key: 'n', order: 'asc' }],
    },
    access,
  );
  expect(found.map((r) => r.key)).toEqual(['a', 'b', 'c']);
  expect(found[2]).toMatchObject({ __IMTINDEX__: 3, __IMTLENGTH__: 3 });
  await expect(
    run('datastore:SearchRecord', { filter: [[{ a: 'n', o: 'number:greater', b: 9 }]] }, access),
  ).resolves.toEqual([]);
});
