import { MongoServerError } from 'mongodb';

/**
 * A unique-key insert that lost a race. FerretDB reports an update that breaks a unique index as
 * an InternalError mentioning the constraint, so both shapes count (reference/ferretdb-mongo.md §2).
 */
export function isDuplicateKeyError(err: unknown): boolean {
  if (!(err instanceof MongoServerError)) return false;
  return err.code === 11000 || /duplicate|UNIQUE constraint/i.test(err.message);
}
