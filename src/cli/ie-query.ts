/**
 * `imex ie retry|delete --query …`: bulk operations by query across the organization's scenarios
 * (`POST /dlqs/operations`), followed with a progress bar on a terminal (plain progress lines
 * otherwise) until they end; `imex ie operations`, `imex ie operation <id> --items`, and
 * `pause-operation`, `resume-operation`, `cancel-operation`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { BulkQueryOperationApiView } from '../api/schemas/bulk-query';
import type { DlqListItem } from '../api/schemas/dlqs';
import type { IeQuery } from '../domain';
import { apiRequest } from './api-client';
import { CliError, exitCodes, type CliContext } from './context';

/** The query flags, as commander collects them. */
export interface QueryFlags {
  query?: boolean;
  scenario?: number[];
  status?: string[];
  errorType?: string[];
  module?: number[];
  since?: string;
  until?: string;
  message?: string;
  dryRun?: boolean;
}

/** A repeatable option that also takes comma-separated values. */
export function listOf<T>(parse: (value: string) => T) {
  return (value: string, previous: T[] = []): T[] => [
    ...previous,
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean)
      .map(parse),
  ];
}

/** `--since 2h` (ago: s, m, h, d) or an ISO time, as an ISO time. */
export function timeFlag(name: string) {
  return (value: string): string => {
    const ago = /^(\d+)([smhd])$/.exec(value);
    if (ago) {
      const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 's' | 'm' | 'h' | 'd'];
      return new Date(Date.now() - Number(ago[1]) * unit).toISOString();
    }
    const at = Date.parse(value);
    if (Number.isNaN(at)) throw new CliError(`${name}: "${value}" is neither an ISO time nor an age like 2h`, 2);
    return new Date(at).toISOString();
  };
}

/** Adds the query flags to `retry` and `delete`. */
export function withQueryFlags(command: Command, positiveInt: (name: string) => (value: string) => number): Command {
  return command
    .option('--query', "target the organization's IEs that the flags below match, across scenarios")
    .option(
      '--status <status>',
      'with --query: unresolved, pending, in_progress, resolved (repeatable)',
      listOf(String),
    )
    .option('--error-type <type>', 'with --query: an error category, e.g. ConnectionError (repeatable)', listOf(String))
    .option('--module <id>', 'with --query: the failed module (repeatable)', listOf(positiveInt('--module')))
    .option(
      '--since <time>',
      'with --query: created at or after (ISO time, or an age: 30m, 2h, 7d)',
      timeFlag('--since'),
    )
    .option('--until <time>', 'with --query: created at or before (ISO time, or an age)', timeFlag('--until'))
    .option('--message <text>', 'with --query: the error message contains this (any case)')
    .option('--dry-run', 'with --query: count what it matches and show the first 10; change nothing');
}

export function queryOf(flags: QueryFlags): IeQuery {
  return {
    ...(flags.scenario?.length ? { scenarioIds: flags.scenario } : {}),
    ...(flags.status?.length ? { statuses: flags.status as IeQuery['statuses'] } : {}),
    ...(flags.errorType?.length ? { errorTypes: flags.errorType as IeQuery['errorTypes'] } : {}),
    ...(flags.module?.length ? { failedModuleIds: flags.module } : {}),
    ...(flags.since ? { createdFrom: flags.since } : {}),
    ...(flags.until ? { createdTo: flags.until } : {}),
    ...(flags.message ? { messageContains: flags.message } : {}),
  };
}

const finished = new Set(['completed', 'cancelled', 'failed']);

function progressLine(op: BulkQueryOperationApiView): string {
  const done = op.applied + op.skipped + op.failed;
  const verb = op.action === 'retry' ? 'retried' : 'deleted';
  return `${op.action} ${done}/${op.matched}: ${op.applied} ${verb}, ${op.skipped} skipped, ${op.failed} failed (${op.state})`;
}

function progressBar(op: BulkQueryOperationApiView, width = 30): string {
  const done = op.applied + op.skipped + op.failed;
  const ratio = op.matched > 0 ? Math.min(1, done / op.matched) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${progressLine(op)}`;
}

/** Follows an operation until it ends: a bar redrawn on a terminal, a line per change otherwise. */
export async function followQueryOperation(
  context: CliContext,
  operation: BulkQueryOperationApiView,
): Promise<BulkQueryOperationApiView> {
  const tty = process.stderr.isTTY === true && !context.options.json;
  let current = operation;
  let last = '';
  for (;;) {
    if (tty) process.stderr.write(`\r${progressBar(current)}\x1b[K`);
    else {
      const line = progressLine(current);
      if (line !== last) context.output.err(line);
      last = line;
    }
    if (finished.has(current.state)) break;
    await sleep(500);
    current = (
      await apiRequest<{ operation: BulkQueryOperationApiView }>(context, 'GET', `/dlqs/operations/${current.id}`)
    ).operation;
  }
  if (tty) process.stderr.write('\n');
  return current;
}

/** `retry --query` and `delete --query`. */
export async function runQueryOperation(
  context: CliContext,
  action: 'retry' | 'delete',
  flags: QueryFlags & { reason?: string; wait: boolean },
): Promise<void> {
  const body = {
    action,
    query: queryOf(flags),
    ...(flags.dryRun ? { dryRun: true } : {}),
    ...(flags.reason === undefined ? {} : { reason: flags.reason }),
  };
  if (flags.dryRun) {
    const result = await apiRequest<{ matched: number; sample: DlqListItem[] }>(
      context,
      'POST',
      '/dlqs/operations',
      body,
    );
    context.print(result, (out) => {
      out(`${result.matched} incomplete executions match (dry run: nothing changed)`);
      for (const d of result.sample)
        out(`  ${d.id}  scenario ${d.scenarioId}  ${d.status}  ${d.errorType}: ${d.reason}`);
    });
    return;
  }
  const started = await apiRequest<{ operation: BulkQueryOperationApiView }>(context, 'POST', '/dlqs/operations', body);
  if (!flags.wait) {
    context.print(started, (out) =>
      out(`Operation ${started.operation.id}: ${action} of ${started.operation.matched} incomplete executions started`),
    );
    return;
  }
  context.output.err(
    `Operation ${started.operation.id}: ${action} of ${started.operation.matched} incomplete executions`,
  );
  const operation = await followQueryOperation(context, started.operation);
  context.print({ operation }, (out) => out(`Operation ${operation.id}: ${progressLine(operation)}`));
  if (operation.failed > 0 || operation.state !== 'completed') process.exitCode = exitCodes.refused;
}

interface ItemView {
  dlqId: string;
  scenarioId: number;
  verdict: string;
  reason?: string;
  at: string;
}

/** Prints an operation by query, with its ledger when asked. */
export async function printQueryOperation(
  context: CliContext,
  operation: BulkQueryOperationApiView,
  items: { verdict?: string } | undefined,
  table: (rows: Record<string, unknown>[], columns: string[], empty?: string) => string[],
): Promise<void> {
  const ledger: ItemView[] = [];
  if (items) {
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '1000', ...(items.verdict ? { verdict: items.verdict } : {}) });
      if (cursor) query.set('cursor', cursor);
      const page = await apiRequest<{ items: ItemView[]; next?: string }>(
        context,
        'GET',
        `/dlqs/operations/${operation.id}/items?${query.toString()}`,
      );
      ledger.push(...page.items);
      cursor = page.next;
    } while (cursor);
  }
  context.print(items ? { operation, items: ledger } : { operation }, (out) => {
    out(`Operation ${operation.id}: ${operation.action} by query ${JSON.stringify(operation.query)}`);
    out(
      `  ${progressLine(operation)}; created ${operation.createdAt}${operation.finishedAt ? `, finished ${operation.finishedAt}` : ''}`,
    );
    if (items)
      table(ledger as never[], ['dlqId', 'scenarioId', 'verdict', 'reason', 'at'], '(no verdicts)').forEach((l) =>
        out(l),
      );
  });
}
