/**
 * `imex ie` (alias `dlq`): incomplete executions through the HTTP API. Bulk retry and delete run
 * as durable operations on the server; large ones answer at once and the CLI follows their
 * progress (on stderr) until every IE has its verdict.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { BulkOperationView, DlqChangeView, DlqListItem, DlqLogView, DlqView } from '../api/schemas/dlqs';
import { apiCall, apiError, apiRequest, type ApiAnswer } from './api-client';
import { CliContext, CliError, exitCodes, ieId, nonNegativeInt, positiveInt, table, type Output } from './context';
import { blueprintChoice, printPlan, registerIePlanCommands, type PlanView } from './ie-plan';
import { listOf, printQueryOperation, runQueryOperation, withQueryFlags, type QueryFlags } from './ie-query';
import type { BulkQueryOperationApiView } from '../api/schemas/bulk-query';

type Action = (context: CliContext, ...args: never[]) => Promise<void>;

interface Verdict {
  id: string;
  accepted: boolean;
  reason?: string;
}

const hex32 = /^[0-9a-f]{32}$/;

function idList(name: string) {
  return (value: string, previous: string[] = []): string[] => {
    const ids = value
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    for (const id of ids) {
      if (!hex32.test(id)) throw new CliError(`${name}: "${id}" is not an incomplete execution id (32 hex)`, 2);
    }
    return [...previous, ...ids];
  };
}

async function readJsonFile(file: string, asText = false): Promise<unknown> {
  let text: string;
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } else text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, exitCodes.usage);
  }
  if (asText) return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`, exitCodes.usage);
  }
}

interface PatchOptions {
  blueprintFile?: string;
  failer?: number;
  bundlesFile?: string;
  reason?: string;
}

async function patchBody(options: PatchOptions): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  // The blueprint goes as JSON text, as Make sends it: the API names each bad field.
  if (options.blueprintFile !== undefined) body.blueprint = await readJsonFile(options.blueprintFile, true);
  if (options.failer !== undefined) body.failer = options.failer;
  if (options.bundlesFile !== undefined) body.bundles = await readJsonFile(options.bundlesFile);
  if (options.reason !== undefined) body.reason = options.reason;
  return body;
}

/** What a change did, in one line: `bundles 2, 3; failer 2→3; blueprint (changed 3); status …`. */
function describeChanges(changes: DlqChangeView['changes']): string {
  const parts: string[] = [];
  if (changes.bundles) parts.push(`bundles ${Object.keys(changes.bundles).join(', ')}`);
  if (changes.failer) parts.push(`failer ${changes.failer.before}→${changes.failer.after}`);
  if (changes.blueprint) {
    const { added, removed, changed } = changes.blueprint.modules;
    const modules = [
      added.length ? `added ${added.join(', ')}` : '',
      removed.length ? `removed ${removed.join(', ')}` : '',
      changed.length ? `changed ${changed.join(', ')}` : '',
    ].filter(Boolean);
    parts.push(`blueprint${modules.length ? ` (${modules.join('; ')})` : ''}`);
  }
  if (changes.status) parts.push(`status ${changes.status.before}→${changes.status.after}`);
  return parts.join('; ') || '-';
}

function describeActor(actor: DlqChangeView['actor']): string {
  return actor.type === 'token' ? `${actor.name || '(unnamed token)'} (token ${actor.tokenId})` : actor.name;
}

function printDlq(context: CliContext, dlq: DlqView): void {
  context.print({ dlq }, (out) => {
    out(`Incomplete execution ${dlq.id}`);
    out(`  scenario:      ${dlq.scenarioId} "${dlq.scenarioName}"`);
    const waiting = dlq.waitingForSlot ? ' (an attempt waits for its slot)' : '';
    out(`  status:        ${dlq.status}${dlq.resolved ? ' (resolved)' : ''}${waiting}`);
    out(`  error:         ${dlq.errorType}: ${dlq.reason}`);
    out(`  failed module: ${dlq.failer} (bundle ${dlq.index} of execution ${dlq.executionId})`);
    out(`  attempts:      ${dlq.attempts}`);
    out(`  auto-retry:    ${dlq.retry ? `yes${dlq.nextRetryAt ? `, next at ${dlq.nextRetryAt}` : ''}` : 'no'}`);
    out(`  size:          ${dlq.size} bytes`);
    out(`  created:       ${dlq.created}`);
  });
}

function shorten(text: string | undefined, max = 60): string | undefined {
  if (text === undefined) return undefined;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function printVerdicts(context: CliContext, kind: 'retry' | 'delete', verdicts: Verdict[], json: unknown): void {
  const ok = kind === 'retry' ? 'started' : 'deleted';
  const refused = kind === 'retry' ? 'refused' : 'not deleted';
  context.print(json, (out) => {
    table(
      verdicts.map((v) => ({ id: v.id, result: v.accepted ? ok : refused, reason: v.reason })),
      ['id', 'result', 'reason'],
    ).forEach((line) => out(line));
    const good = verdicts.filter((v) => v.accepted).length;
    out(`${good} of ${verdicts.length} ${kind === 'retry' ? 'retries started' : 'deleted'}`);
  });
}

const statuses: Record<number, string> = { 1: 'success', 2: 'warning', 3: 'error' };

export function registerIeCommands(program: Command, output: Output, env: NodeJS.ProcessEnv): void {
  const ie = program
    .command('ie')
    .alias('dlq')
    .description('incomplete executions (through the API: IMEX_API_URL, IMEX_TOKEN)');
  const run =
    <A extends Action>(action: A) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      await action(new CliContext(command, output, env), ...(args.slice(0, -1) as never[]));
    };
  const scenarioOption = positiveInt('--scenario');

  /** Follows a 202's operation until every IE has a verdict; answers all verdicts. */
  async function follow(context: CliContext, operation: BulkOperationView): Promise<Verdict[]> {
    let last = '';
    let current = operation;
    for (;;) {
      const line = `${current.kind}: ${current.done}/${current.total ?? '?'} done (${current.succeeded} ${current.kind === 'retry' ? 'started' : 'deleted'}, ${current.failed} refused)`;
      if (line !== last) context.output.err(line);
      last = line;
      if (current.status === 'completed') break;
      await sleep(500);
      current = (
        await apiRequest<{ operation: BulkOperationView }>(context, 'GET', `/dlqs/operations/${current.id}?pg[limit]=1`)
      ).operation;
    }
    const verdicts: Verdict[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await apiRequest<{ dlqs: Verdict[] }>(
        context,
        'GET',
        `/dlqs/operations/${current.id}?pg[offset]=${offset}&pg[limit]=1000`,
      );
      verdicts.push(...page.dlqs);
      if (page.dlqs.length < 1000) return verdicts;
    }
  }

  /** The scenario of the first id, when --scenario is not given. */
  async function scenarioOf(context: CliContext, id: string): Promise<number> {
    return (await apiRequest<{ dlq: DlqView }>(context, 'GET', `/dlqs/${id}`)).dlq.scenarioId;
  }

  interface BulkOptions extends QueryFlags {
    scenario?: number[];
    ids?: string[];
    all?: boolean;
    except?: string[];
    wait: boolean;
    yes?: boolean;
    reason?: string;
    from?: number;
    blueprint?: 'stored' | 'current';
    requestId?: string;
  }

  async function bulkTarget(context: CliContext, positional: string[], options: BulkOptions) {
    const ids = [...new Set([...positional.map(ieId), ...(options.ids ?? [])])];
    const why = options.reason === undefined ? {} : { reason: options.reason };
    if ((options.scenario?.length ?? 0) > 1) throw new CliError('several --scenario go with --query', exitCodes.usage);
    const scenario = options.scenario?.[0];
    const queryOnly = ['status', 'errorType', 'module', 'since', 'until', 'message', 'dryRun'] as const;
    const stray = queryOnly.find((flag) => options[flag] !== undefined);
    if (stray) throw new CliError(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} goes with --query`, 2);
    if (options.all) {
      if (ids.length > 0) throw new CliError('give ids or --all, not both', exitCodes.usage);
      if (scenario === undefined) throw new CliError('--all needs --scenario <id>', exitCodes.usage);
      return { scenarioId: scenario, body: { all: true, exceptIds: options.except ?? [], ...why }, ids };
    }
    if (options.except) throw new CliError('--except goes with --all', exitCodes.usage);
    if (ids.length === 0) throw new CliError('give one or more incomplete execution ids, or --all --scenario <id>', 2);
    const scenarioId = scenario ?? (await scenarioOf(context, ids[0] as string));
    return { scenarioId, body: { ids, ...why }, ids };
  }

  /** A bulk answer: 200 verdicts, 202 an operation to follow, or an error. Exit 5 when any IE was refused. */
  async function finishBulk(context: CliContext, kind: 'retry' | 'delete', answer: ApiAnswer, wait: boolean) {
    let verdicts: Verdict[];
    let json: unknown = answer.body;
    if (answer.status === 202) {
      const { operation } = answer.body as { operation: BulkOperationView };
      if (!wait) {
        context.print(answer.body, (out) =>
          out(`Operation ${operation.id}: ${kind} of ${operation.total ?? 'the'} incomplete executions queued`),
        );
        return;
      }
      verdicts = await follow(context, operation);
      json = { operation: { ...operation, status: 'completed' }, dlqs: verdicts };
    } else if (answer.status === 200 && kind === 'retry') {
      verdicts = (answer.body as { dlqs: Verdict[] }).dlqs;
    } else if (answer.status === 200) {
      verdicts = (answer.body as { dlqs: string[] }).dlqs.map((id) => ({ id, accepted: true }));
    } else if (answer.status === 400 && (answer.body as { code?: string } | undefined)?.code === 'IM_NOT_DELETED') {
      const detail = (answer.body as { detail: { deleted: string[]; notDeleted: { id: string; reason: string }[] } })
        .detail;
      verdicts = [
        ...detail.deleted.map((id) => ({ id, accepted: true })),
        ...detail.notDeleted.map((n) => ({ id: n.id, accepted: false, reason: n.reason })),
      ];
    } else {
      throw apiError(answer, answer.status === 406 ? '  pass --yes to confirm' : undefined);
    }
    printVerdicts(context, kind, verdicts, json);
    if (verdicts.some((v) => !v.accepted)) process.exitCode = exitCodes.refused;
  }

  ie.command('list')
    .description("a scenario's incomplete executions, newest first")
    .option('--scenario <id>', 'the scenario (default: every scenario of the organization)', scenarioOption)
    .option('--execution <id>', 'only those the run with this execution id parked')
    .option('--status <status>', 'unresolved, pending, in_progress or resolved')
    .option('--error-type <type>', 'an error category, e.g. ConnectionError')
    .option('--sort <field>', 'created, size or attempts', 'created')
    .option('--asc', 'oldest (smallest) first')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
    .option('--offset <n>', 'skip this many', nonNegativeInt('--offset'), 0)
    .action(
      run(
        async (
          context,
          options: {
            scenario?: number;
            execution?: string;
            status?: string;
            errorType?: string;
            sort: string;
            asc?: boolean;
            limit: number;
            offset: number;
          },
        ) => {
          const query = new URLSearchParams();
          if (options.scenario !== undefined) query.set('scenarioId', String(options.scenario));
          if (options.execution) query.set('executionId', options.execution);
          if (options.status) query.set('status', options.status);
          if (options.errorType) query.set('errorType', options.errorType);
          query.set('pg[offset]', String(options.offset));
          query.set('pg[limit]', String(options.limit));
          query.set('pg[sortBy]', options.sort);
          query.set('pg[sortDir]', options.asc ? 'asc' : 'desc');
          const result = await apiRequest<{ dlqs: DlqListItem[] }>(context, 'GET', `/dlqs?${query.toString()}`);
          const rows = result.dlqs.map((d) => ({ ...d, reason: shorten(d.reason) }));
          context.print(result, (out) =>
            table(rows, [
              'id',
              'status',
              'errorType',
              'failer',
              'attempts',
              'retry',
              'nextRetryAt',
              'created',
              'reason',
            ]).forEach((line) => out(line)),
          );
        },
      ),
    );

  ie.command('show')
    .alias('get')
    .description('one incomplete execution')
    .argument('<id>', 'incomplete execution id', ieId)
    .action(
      run(async (context, id: string) => {
        printDlq(context, (await apiRequest<{ dlq: DlqView }>(context, 'GET', `/dlqs/${id}`)).dlq);
      }),
    );

  for (const [name, what] of [
    ['bundle', "its bundles, keyed by module id (Make's shape): { value } before the failed module, { error } for it"],
    ['blueprint', 'the blueprint its next attempt runs'],
  ] as const) {
    ie.command(name)
      .description(`${what} (JSON)`)
      .argument('<id>', 'incomplete execution id', ieId)
      .action(
        run(async (context, id: string) => {
          const result = await apiRequest<{ response: unknown }>(context, 'GET', `/dlqs/${id}/${name}`);
          // JSON either way: a bundle or a blueprint has no table form.
          const value = name === 'blueprint' ? (result.response as { blueprint: unknown }).blueprint : result.response;
          context.output.out(JSON.stringify(context.options.json ? result : value, null, 2));
        }),
      );
  }

  ie.command('logs')
    .description('its attempts, newest first; with a log id, that attempt module by module')
    .argument('<id>', 'incomplete execution id', ieId)
    .argument('[logId]', 'an attempt (its execution id)', ieId)
    .action(
      run(async (context, id: string, logId: string | undefined) => {
        if (logId === undefined) {
          const result = await apiRequest<{ dlqLogs: DlqLogView[] }>(context, 'GET', `/dlqs/${id}/logs`);
          const rows = result.dlqLogs.map((log) => ({
            id: log.id,
            status: statuses[log.status],
            timestamp: log.timestamp,
            durationMs: log.duration,
            operations: log.operations,
            error: log.error ? shorten(`${log.error.type}: ${log.error.message}`) : undefined,
          }));
          context.print(result, (out) =>
            table(
              rows,
              ['id', 'status', 'timestamp', 'durationMs', 'operations', 'error'],
              '(no attempts yet)',
            ).forEach((line) => out(line)),
          );
          return;
        }
        const result = await apiRequest<{
          dlqLog: DlqLogView & {
            log: {
              moduleId: number;
              module: string;
              status: string;
              durationMs: number;
              errorType?: string;
              message?: string;
            }[];
          };
        }>(context, 'GET', `/dlqs/${id}/logs/${logId}`);
        const log = result.dlqLog;
        context.print(result, (out) => {
          out(`Attempt ${log.id}: ${statuses[log.status]} at ${log.timestamp} (${log.duration} ms)`);
          if (log.error) out(`  error: ${log.error.type}: ${log.error.message}`);
          table(
            log.log.map((m) => ({
              moduleId: m.moduleId,
              module: m.module,
              status: m.status,
              durationMs: m.durationMs,
              error: m.errorType ? shorten(`${m.errorType}: ${m.message ?? ''}`) : undefined,
            })),
            ['moduleId', 'module', 'status', 'durationMs', 'error'],
          ).forEach((line) => out(line));
        });
      }),
    );

  /** The targets of a command that takes one IE, several, or --all of a scenario. */
  const bulkCommand = (name: string, description: string, all: string) =>
    withQueryFlags(
      ie
        .command(name)
        .description(description)
        .argument('[ids...]', 'incomplete execution ids')
        .option('--ids <a,b,…>', 'ids, comma-separated', idList('--ids'))
        .option(
          '--scenario <id>',
          'their scenario (default: the first id’s); with --query, repeatable',
          listOf(scenarioOption),
        )
        .option('--all', all)
        .option('--except <a,b,…>', 'with --all: leave these out', idList('--except'))
        .option('--reason <text>', "why (kept in each IE's change log: imex ie changes <id>)")
        .option('--no-wait', 'for a large batch, print the operation id instead of following it'),
      positiveInt,
    );

  /** `--query`: a bulk operation by query instead of ids (ie-query.ts). */
  const byQuery = (context: CliContext, action: 'retry' | 'delete', positional: string[], options: BulkOptions) => {
    if (positional.length > 0 || options.ids || options.all || options.except) {
      throw new CliError('--query takes no ids, --all or --except: the flags are the query', exitCodes.usage);
    }
    return runQueryOperation(context, action, options);
  };

  /** Sent as `Idempotency-Key`: the same id sent again is answered as the first request was. */
  const requestIdOption = (command: Command) =>
    command.option(
      '--request-id <id>',
      'send the request under this id (default: a new one); sending it again never starts a second attempt',
    );

  requestIdOption(
    bulkCommand(
      'retry',
      'retry now with the stored blueprint and bundles: one id, several, or --all of a scenario',
      'every unresolved incomplete execution of --scenario',
    )
      .option('--from <moduleId>', 'one IE: start at this module (see imex ie plan)', positiveInt('--from'))
      .option(
        '--blueprint <stored|current>',
        "one IE: run the IE's blueprint or the scenario's current one",
        blueprintChoice,
      ),
  ).action(
    run(async (context, positional: string[], options: BulkOptions) => {
      if (options.query) return byQuery(context, 'retry', positional, options);
      const single = positional.length + (options.ids?.length ?? 0) === 1 && !options.all && !options.scenario;
      if (single) {
        const id = ieId((positional[0] ?? options.ids?.[0]) as string);
        const body = {
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          ...(options.from === undefined ? {} : { from: options.from }),
          ...(options.blueprint === undefined ? {} : { blueprint: options.blueprint }),
        };
        const result = await apiRequest<{ dlq: string; plan?: PlanView }>(
          context,
          'POST',
          `/dlqs/${id}/retry`,
          Object.keys(body).length > 0 ? body : undefined,
          { idempotencyKey: options.requestId ?? crypto.randomUUID() },
        );
        context.print(result, (out) => {
          out(`Retry of ${id} started`);
          if (result.plan) printPlan(result.plan, out);
        });
        return;
      }
      if (options.from !== undefined || options.blueprint !== undefined) {
        throw new CliError('--from and --blueprint take one incomplete execution', exitCodes.usage);
      }
      const target = await bulkTarget(context, positional, options);
      const answer = await apiCall(context, 'POST', `/dlqs/retry?scenarioId=${target.scenarioId}`, target.body);
      await finishBulk(context, 'retry', answer, options.wait);
    }),
  );

  const patchOptions = (command: Command) =>
    command
      .option('--blueprint-file <path>', 'a blueprint (JSON file, or - for stdin) for the next attempt')
      .option('--failer <moduleId>', 'the module the next attempt starts at', positiveInt('--failer'))
      .option(
        '--bundles-file <path>',
        'bundles in the /bundle shape: { "<moduleId>": { "value": {…} } }; only the modules named change',
      )
      .option('--reason <text>', "why (kept in the IE's change log: imex ie changes <id>)");

  requestIdOption(
    patchOptions(
      ie
        .command('resolve')
        .description('patch (optional) and retry now, as one request: Make\'s "resolve"')
        .argument('<id>', 'incomplete execution id', ieId),
    ),
  ).action(
    run(async (context, id: string, options: PatchOptions & { requestId?: string }) => {
      const result = await apiRequest<{ dlq: string }>(
        context,
        'POST',
        `/dlqs/${id}/resolve`,
        await patchBody(options),
        { idempotencyKey: options.requestId ?? crypto.randomUUID() },
      );
      context.print(result, (out) => out(`Resolving ${id}: attempt started`));
    }),
  );

  patchOptions(
    ie
      .command('patch')
      .description('change what the next attempt uses (blueprint, failer, bundles) without starting one')
      .argument('<id>', 'incomplete execution id', ieId),
  ).action(
    run(async (context, id: string, options: PatchOptions) => {
      const body = await patchBody(options);
      if (Object.keys(body).filter((key) => key !== 'reason').length === 0) {
        throw new CliError('nothing to patch: give --blueprint-file, --failer or --bundles-file', exitCodes.usage);
      }
      const result = await apiRequest<{ dlq: { failer: number; blueprint: { name?: string; flow?: unknown[] } } }>(
        context,
        'PATCH',
        `/dlqs/${id}`,
        body,
      );
      context.print(result, (out) =>
        out(
          `Incomplete execution ${id} patched: the next attempt starts at module ${result.dlq.failer} of "${result.dlq.blueprint.name ?? ''}" (${result.dlq.blueprint.flow?.length ?? 0} modules)`,
        ),
      );
    }),
  );

  bulkCommand(
    'delete',
    'delete: bundles and blueprint go, the storage is released; one id, several, or --all of a scenario',
    'every incomplete execution of --scenario (needs --yes)',
  )
    .option('--yes', 'confirm (Make: confirmed=true)')
    .action(
      run(async (context, positional: string[], options: BulkOptions) => {
        if (options.query) return byQuery(context, 'delete', positional, options);
        const target = await bulkTarget(context, positional, options);
        const query = `scenarioId=${target.scenarioId}${options.yes ? '&confirmed=true' : ''}`;
        const answer = await apiCall(context, 'DELETE', `/dlqs?${query}`, target.body);
        await finishBulk(context, 'delete', answer, options.wait);
      }),
    );

  ie.command('changes')
    .description(
      'its change log, newest first: who patched, resolved, retried or deleted it, when, why, and what changed',
    )
    .argument('<id>', 'incomplete execution id', ieId)
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
    .option('--offset <n>', 'skip this many (newest first)', nonNegativeInt('--offset'), 0)
    .action(
      run(async (context, id: string, options: { limit: number; offset: number }) => {
        const result = await apiRequest<{ dlqChanges: DlqChangeView[]; pg: { total: number } }>(
          context,
          'GET',
          `/dlqs/${id}/changes?pg[offset]=${options.offset}&pg[limit]=${options.limit}`,
        );
        const rows = result.dlqChanges.map((change) => ({
          seq: change.seq,
          at: change.at,
          kind: change.kind,
          actor: describeActor(change.actor),
          changes: describeChanges(change.changes),
          reason: shorten(change.reason),
        }));
        context.print(result, (out) =>
          table(rows, ['seq', 'at', 'kind', 'actor', 'changes', 'reason'], '(no changes)').forEach((line) => out(line)),
        );
      }),
    );

  registerIePlanCommands(ie, run);

  ie.command('operations')
    .description('bulk operations by query, running and paused first, then newest first')
    .option('--state <state>', 'running, paused, cancelled, completed or failed')
    .action(
      run(async (context, options: { state?: string }) => {
        const query = options.state ? `?state=${encodeURIComponent(options.state)}` : '';
        const result = await apiRequest<{ operations: BulkQueryOperationApiView[] }>(
          context,
          'GET',
          `/dlqs/operations${query}`,
        );
        const rows = result.operations.map((o) => ({
          id: o.id,
          action: o.action,
          state: o.state,
          matched: o.matched,
          applied: o.applied,
          skipped: o.skipped,
          failed: o.failed,
          createdAt: o.createdAt,
          query: shorten(JSON.stringify(o.query)),
        }));
        context.print(result, (out) =>
          table(
            rows,
            ['id', 'action', 'state', 'matched', 'applied', 'skipped', 'failed', 'createdAt', 'query'],
            '(no operations)',
          ).forEach((line) => out(line)),
        );
      }),
    );

  for (const control of ['pause', 'resume', 'cancel'] as const) {
    ie.command(`${control}-operation`)
      .description(`${control} a bulk operation by query${control === 'resume' ? '' : ' (the IEs under way finish)'}`)
      .argument('<operationId>', 'the id `imex ie retry|delete --query` printed', ieId)
      .action(
        run(async (context, operationId: string) => {
          const result = await apiRequest<{ operation: BulkQueryOperationApiView }>(
            context,
            'POST',
            `/dlqs/operations/${operationId}/${control}`,
          );
          context.print(result, (out) => out(`Operation ${operationId} ${result.operation.state}`));
        }),
      );
  }

  ie.command('operation')
    .description('a bulk retry or delete: progress and verdicts')
    .argument('<operationId>', 'the id a bulk command printed', ieId)
    .option('--items', 'an operation by query: its ledger, a verdict per IE')
    .option('--verdict <verdict>', 'with --items: applied, skipped or failed')
    .action(
      run(async (context, operationId: string, options: { items?: boolean; verdict?: string }) => {
        const first = await apiRequest<{ operation: BulkOperationView | BulkQueryOperationApiView; dlqs?: Verdict[] }>(
          context,
          'GET',
          `/dlqs/operations/${operationId}?pg[limit]=1000`,
        );
        if (!first.dlqs) {
          const items = options.items ? (options.verdict ? { verdict: options.verdict } : {}) : undefined;
          return printQueryOperation(context, first.operation as BulkQueryOperationApiView, items, table);
        }
        const operation = first.operation as BulkOperationView;
        context.print(first, (out) => {
          out(`Operation ${operation.id}: ${operation.kind} of scenario ${operation.scenarioId}, ${operation.status}`);
          out(
            `  ${operation.done}/${operation.total ?? '?'} done: ${operation.succeeded} ok, ${operation.failed} refused`,
          );
          table(
            (first.dlqs ?? []).map((v) => ({ id: v.id, accepted: v.accepted, reason: v.reason })),
            ['id', 'accepted', 'reason'],
          ).forEach((line) => out(line));
        });
      }),
    );
}
