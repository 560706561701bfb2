/**
 * What Make's `datastore:` modules share: the `datastore` parameter, opening the store the run
 * sees, the record key, checking a record against its structure and its store's size, and Make's
 * error categories for each of these.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { checkRecordData, MAX_RECORD_BYTES, ModuleError, recordBytes } from '../domain';
import type { ModuleRunContext } from './contract';
import type { DataStoreAccess, DataStoreHandle } from './data-store-access';

/** `parameters.datastore`: the data store's id (an export holds a number; some tools write text). */
export const dataStoreParameters = z.looseObject({
  datastore: z.union([
    z.int().positive(),
    z
      .string()
      .regex(/^\d+$/, 'a data store id')
      .transform((s) => Number(s)),
  ]),
});
export type DataStoreParameters = z.output<typeof dataStoreParameters>;

/** A record key: text (a mapped number is its text). Blank only where Make generates one. */
export const recordKey = z
  .union([z.string(), z.number().transform((n) => String(n))])
  .refine((key) => key.length <= 512, 'a key is at most 512 characters');

export function dataStoresOf(context: ModuleRunContext<unknown, unknown>): DataStoreAccess {
  if (!context.dataStores) {
    // Only a scenario run gives modules its data stores (the module activity does).
    throw new ModuleError(
      'InvalidConfigurationError',
      'data stores are available to modules inside a scenario run only',
    );
  }
  return context.dataStores;
}

export async function openDataStore(
  context: ModuleRunContext<DataStoreParameters, unknown>,
): Promise<{ access: DataStoreAccess; store: DataStoreHandle }> {
  const access = dataStoresOf(context);
  const store = await access.open(context.parameters.datastore);
  if (!store) {
    throw new ModuleError(
      'InvalidConfigurationError',
      `data store ${context.parameters.datastore} not found in this organization`,
    );
  }
  return { access, store };
}

/** A key that is blank: Make generates one. Derived from the operation's idempotency key, so a retry generates the same. */
export function generatedKey(idempotencyKey: string): string {
  return createHash('sha256').update(`datastore-key:${idempotencyKey}`).digest('hex').slice(0, 32);
}

/** The key, which must not be blank. */
export function requiredKey(key: string | undefined): string {
  if (key === undefined || key.trim() === '')
    throw new ModuleError('DataError', 'mapper.key: a record key is required');
  return key;
}

/**
 * Checks the data against the store's structure (Make: a value that does not fit its field is a
 * DataError). Returns the coerced data to write.
 */
export function checkedRecord(
  store: DataStoreHandle,
  data: unknown,
  options: { partial?: boolean } = {},
): Record<string, unknown> {
  const check = checkRecordData(store.structure, data, options);
  if (!check.ok) {
    throw new ModuleError(
      'DataError',
      `the record does not fit data store ${store.id}'s structure: ${check.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      { details: { fields: check.errors } },
    );
  }
  return check.data;
}

/** Make's size rules: a record up to 15 MB; the store's records within its maximum size. */
export async function checkSize(store: DataStoreHandle, key: string, data: Record<string, unknown>): Promise<void> {
  const bytes = recordBytes(key, data);
  if (bytes > MAX_RECORD_BYTES) {
    throw new ModuleError('DataError', `the record "${key}" is ${bytes} bytes; a record may be up to 15 MB`);
  }
  const usage = await store.usage(key);
  const after = usage.sizeBytes - usage.recordBytes + bytes;
  if (after > store.maxSizeBytes) {
    throw new ModuleError(
      'OutOfSpaceError',
      `data store ${store.id} ("${store.name}") is full: ${after} bytes would exceed its ${store.maxSizeBytes} bytes`,
      { details: { dataStoreId: store.id, maxSizeBytes: store.maxSizeBytes, sizeBytes: usage.sizeBytes } },
    );
  }
}

/** The record as modules output it: `{ key, data }` (Make's wrapped shape, and SearchRecord's). */
export function wrapped(key: string, data: Record<string, unknown> | null): Record<string, unknown> {
  return { key, data };
}
