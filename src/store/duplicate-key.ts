import { MongoServerError } from 'mongodb';

/**
 * A unique-key insert that lost a race. FerretDB reports an update that breaks a unique index as
 * an InternalError mentioning the constraint, so both shapes count (reference/ferretdb-mongo.md §2).
 */
export function isDuplicateKeyError(err: unknown): boolean {
  if (!(err instanceof MongoServerError)) return false;
  return err.code === 11000 || /duplicate|UNIQUE constraint/i.test(err.message);
}

/** An unordered insertMany whose only failures are items that were inserted before. */
export function onlyDuplicates(err: unknown): boolean {
  const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? Object.values(writeErrors) : [];
  if (list.length === 0) return isDuplicateKeyError(err);
  return list.every(
    (e: { code?: number; errmsg?: string }) => e.code === 11000 || /duplicate|UNIQUE constraint/i.test(e.errmsg ?? ''),
  );
}
