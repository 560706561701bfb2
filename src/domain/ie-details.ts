/**
 * What an IE's workflow shows as its current details in the Temporal Web UI (markdown there). The
 * error and a rejection's reason are user data (a service's JSON, brackets, asterisks): each is
 * set in a fenced code block longer than any backtick run in it, so it shows exactly as typed.
 * An IE without auto-retry says so instead of counting attempts against a schedule it is not on.
 */
import type { IncompleteExecutionState } from './incomplete-execution';

export type IncompleteExecutionDetailsState = Pick<
  IncompleteExecutionState,
  'status' | 'retry' | 'attempts' | 'nextRetryAt' | 'waitingForSlot' | 'failer' | 'error' | 'lastRejection'
>;

/** `text` as a fenced code block that no backtick run inside it can close. */
export function markdownVerbatim(text: string): string {
  const longestRun = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}text\n${text}\n${fence}`;
}

export function incompleteExecutionDetails(state: IncompleteExecutionDetailsState, scheduleLength: number): string {
  const attempts = `attempts ${state.attempts}`;
  const schedule = state.retry
    ? `${attempts} of ${scheduleLength} (auto-retry)`
    : `${attempts} · no auto-retry: waits for a person (retry, resolve or delete)`;
  const next = state.waitingForSlot
    ? "waiting for an attempt slot (the scenario's coordinator runs at most 3 attempts at once)"
    : state.nextRetryAt
      ? `next auto-retry at ${state.nextRetryAt}`
      : state.retry
        ? 'no auto-retry scheduled'
        : undefined;
  const rejection = state.lastRejection
    ? `\n\nLast rejected request: **${state.lastRejection.request}**:\n\n${markdownVerbatim(state.lastRejection.reason)}`
    : '';
  return (
    `**${state.status}** · ${schedule}${next ? ` · ${next}` : ''}\n\n` +
    `Failed at module ${state.failer}: ${state.error.type}:\n\n${markdownVerbatim(state.error.message)}${rejection}`
  );
}
