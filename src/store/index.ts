/**
 * The MongoDB store: the only code that touches MongoDB. One file per collection; user data
 * (blueprints, bundles, module logs) is kept as opaque JSON text, never as documents whose keys
 * come from users. Everything here works on MongoDB 7 and on FerretDB v1 (no transactions, no
 * change streams, no TTL indexes; race-free steps build on unique-key inserts).
 */
export * from './store';
export * from './api-tokens';
export * from './blobs';
export * from './blob-collection';
export * from './bulk-operations';
export * from './bulk-query-operations';
export * from './connections';
export * from './data-stores';
export * from './data-store-transactions';
export * from './duplicate-key';
export * from './email-sends';
export * from './executions';
export * from './field-cipher';
export * from './sealed-text';
export * from './sealed-fields';
export * from './ie-changes';
export * from './ie-query-filter';
export * from './ie-quota';
export * from './incomplete-executions';
export * from './organizations';
export * from './run-errors';
export * from './scenarios';
export * from './scenario-leases';
export * from './sequential-id';
export * from './unavailable';
export * from './webhook-queue';
export * from './webhook-responses';
export * from './webhook-idempotency';
