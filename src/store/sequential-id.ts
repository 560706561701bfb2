import type { Collection } from 'mongodb';
import { isDuplicateKeyError } from './duplicate-key';

/**
 * Inserts a document under the next integer `_id` of its collection (1, 2, 3, …), as Make's
 * organization and scenario ids. Race-free on MongoDB and FerretDB alike: it builds only on the
 * `_id` unique-key insert; a concurrent writer that took the same id makes us read again and retry.
 */
export async function insertWithNextId<T extends { _id: number }>(
  collection: Collection<T>,
  build: (id: number) => T,
  maxTries = 50,
): Promise<T> {
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const [last] = await collection
      .find({}, { projection: { _id: 1 } })
      .sort({ _id: -1 })
      .limit(1)
      .toArray();
    const doc = build((last?._id ?? 0) + 1 + attempt);
    try {
      // The driver types insertOne with OptionalUnlessRequiredId; our docs always carry their _id.
      await collection.insertOne(doc as Parameters<Collection<T>['insertOne']>[0]);
      return doc;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
  throw new Error(`could not allocate an id in ${collection.collectionName} after ${maxTries} tries`);
}
