/** Waiting on an incomplete execution's document, as the store (the truth for lists) shows it. */
import { waitFor } from '../../src/stack/wait';
import type { IncompleteExecutionDocument, Store } from '../../src/store';

export async function ieDocument(store: Store, ieId: string): Promise<IncompleteExecutionDocument> {
  return (await store.incompleteExecutions.get(ieId)) as IncompleteExecutionDocument;
}

export function waitForIeDocument(
  store: Store,
  ieId: string,
  what: string,
  predicate: (doc: IncompleteExecutionDocument) => boolean,
): Promise<IncompleteExecutionDocument> {
  return waitFor(
    what,
    async () => {
      const doc = await ieDocument(store, ieId);
      return doc && predicate(doc) ? doc : undefined;
    },
    { timeoutMs: 60_000 },
  );
}

/**
 * Whether the IE's workflow has written its state through at least once. Parking inserts the
 * document (`updatedAt` = `created`) before the workflow's first task, which writes it again: a
 * test that changes the document, or compares it byte for byte, waits for that write first.
 */
export function writtenThroughByWorkflow(doc: IncompleteExecutionDocument | null): boolean {
  return doc !== null && doc.updatedAt.getTime() > doc.created.getTime();
}
