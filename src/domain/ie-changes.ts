/**
 * The audit trail of an incomplete execution: every change a person (or a caller through
 * Temporal) made to it, with who, when, why and what changed. Pure shapes and the rules shared
 * by the workflow (which stamps each request), the activities (which compute the diff on the
 * stored state) and the API (which shows it).
 */
export const ieChangeKinds = ['patch', 'resolve', 'retry', 'delete'] as const;
export type IeChangeKind = (typeof ieChangeKinds)[number];

/**
 * Who asked: an API token (its id and its name), or a caller that reached the IE's workflow
 * through Temporal directly (`temporal signal` / `temporal update`: the Temporal CLI, the Web UI,
 * a program with Temporal access). Temporal callers are trusted as Temporal's own access control
 * trusts them: an `actor` in a request sent through Temporal is recorded as given.
 */
export type IeChangeActor =
  { type: 'token'; tokenId: string; name: string } | { type: 'temporal'; via: 'signal' | 'update'; name: string };

export const IE_CHANGE_REASON_MAX_CHARS = 1000;

export function temporalActor(via: 'signal' | 'update'): IeChangeActor {
  return { type: 'temporal', via, name: `temporal ${via}` };
}

/** A value the trail shows in place of a large one (or of one kept by reference): never the content. */
export interface IeValueSummary {
  summary: true;
  /** sha256 of the value's JSON text (a blob's id when it is kept by reference). */
  sha256: string;
  bytes: number;
}

export interface IeChangeDiff {
  /** Per module id: the bundle before and after (null: none). */
  bundles?: Record<string, { before: unknown; after: unknown }>;
  failer?: { before: number; after: number };
  /** A summary of each side, and the module ids added, removed or changed. */
  blueprint?: {
    before: IeValueSummary | null;
    after: IeValueSummary | null;
    modules: { added: number[]; removed: number[]; changed: number[] };
  };
  status?: { before: string; after: string };
  attempts?: { before: number; after: number };
}

/** One entry of the trail. */
export interface IeChange {
  /** Its place in the IE's trail: 1, 2, 3 … */
  seq: number;
  ieId: string;
  kind: IeChangeKind;
  /** ISO time the IE took the request. */
  at: string;
  actor: IeChangeActor;
  reason?: string;
  requestId?: string;
  changes: IeChangeDiff;
}

/**
 * What the IE's workflow knows of a request when it applies it, handed to the activity that
 * records it. `key` identifies the request (its request id, or one the workflow derives), so a
 * retried activity records it once.
 */
export interface IeChangeStamp {
  key: string;
  kind: IeChangeKind;
  at: string;
  actor: IeChangeActor;
  reason?: string;
  requestId?: string;
}
