/** `imex scenario` (alias `scenarios`): scenarios through the HTTP API. */
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import type { RunDetailView } from '../api/schemas/run-detail';
import type { ScenarioLogView, ScenarioView } from '../api/schemas/scenarios';
import { apiRequest } from './api-client';
import { CliContext, CliError, exitCodes, nonNegativeInt, positiveInt, table, type Output } from './context';

type Action = (context: CliContext, ...args: never[]) => Promise<void>;

function listRow(s: ScenarioView) {
  return { id: s.id, name: s.name, active: s.isActive, dlqs: s.dlqCount, dlq: s.settings.dlq, lastEdit: s.lastEdit };
}

function printScenario(context: CliContext, scenario: ScenarioView): void {
  context.print({ scenario }, (out) => {
    out(`Scenario ${scenario.id} "${scenario.name}"`);
    out(
      `  active:                ${scenario.isActive ? 'yes' : 'no'}${scenario.deactivationReason ? ` (deactivated: ${scenario.deactivationReason})` : ''}`,
    );
    out(
      `  incomplete executions: ${scenario.dlqCount}${scenario.isWaitingOnIncompleteExecutions ? ' (waiting on them)' : ''}`,
    );
    out(`  store incomplete executions (dlq): ${scenario.settings.dlq ? 'yes' : 'no'}`);
    out(`  modules from:          ${scenario.usedPackages.join(', ')}`);
    out(`  created:               ${scenario.created}`);
    out(`  last edit:             ${scenario.lastEdit}`);
  });
}

async function readInput(file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, exitCodes.usage);
  }
}

function parseJsonOption(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${name} is not valid JSON: ${(error as Error).message}`, exitCodes.usage);
  }
}

export function registerScenarioCommands(program: Command, output: Output, env: NodeJS.ProcessEnv): void {
  const scenario = program
    .command('scenario')
    .alias('scenarios')
    .description('scenarios (through the API: IMEX_API_URL, IMEX_TOKEN)');
  const run =
    <A extends Action>(action: A) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      await action(new CliContext(command, output, env), ...(args.slice(0, -1) as never[]));
    };
  const id = positiveInt('scenario id');

  scenario
    .command('list')
    .description("the organization's scenarios")
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 100)
    .option('--offset <n>', 'skip this many', nonNegativeInt('--offset'), 0)
    .action(
      run(async (context, options: { limit: number; offset: number }) => {
        const result = await apiRequest<{ scenarios: ScenarioView[] }>(
          context,
          'GET',
          `/scenarios?pg[offset]=${options.offset}&pg[limit]=${options.limit}`,
        );
        context.print(result, (out) =>
          table(result.scenarios.map(listRow), ['id', 'name', 'active', 'dlqs', 'dlq', 'lastEdit']).forEach((l) =>
            out(l),
          ),
        );
      }),
    );

  scenario
    .command('show')
    .alias('get')
    .description('one scenario')
    .argument('<id>', 'scenario id', id)
    .action(
      run(async (context, scenarioId: number) => {
        const result = await apiRequest<{ scenario: ScenarioView }>(context, 'GET', `/scenarios/${scenarioId}`);
        printScenario(context, result.scenario);
      }),
    );

  scenario
    .command('create')
    .description('create a scenario from a Make blueprint (JSON file, a Make export too); it starts inactive')
    .requiredOption('--file <path>', 'the blueprint JSON file, or - for stdin')
    .option('--name <name>', "its name (default: the blueprint's)")
    .option('--dlq', 'allow storing incomplete executions (the blueprint setting metadata.scenario.dlq)')
    .option('--start', 'activate it right away')
    .action(
      run(async (context, options: { file: string; name?: string; dlq?: boolean; start?: boolean }) => {
        // The text goes as is: the API reports JSON and blueprint errors field by field.
        const blueprint = await readInput(options.file);
        const body: Record<string, unknown> = { blueprint };
        if (options.name !== undefined) body.name = options.name;
        if (options.dlq) body.settings = { dlq: true };
        const created = await apiRequest<{ scenario: ScenarioView }>(context, 'POST', '/scenarios', body);
        let result = created.scenario;
        if (options.start) {
          await apiRequest(context, 'POST', `/scenarios/${result.id}/start`);
          result = { ...result, isActive: true };
        }
        printScenario(context, result);
      }),
    );

  for (const action of ['start', 'stop'] as const) {
    scenario
      .command(action)
      .description(action === 'start' ? 'activate a scenario' : 'deactivate a scenario')
      .argument('<id>', 'scenario id', id)
      .action(
        run(async (context, scenarioId: number) => {
          const result = await apiRequest<{ scenario: { id: number; isActive: boolean } }>(
            context,
            'POST',
            `/scenarios/${scenarioId}/${action}`,
          );
          context.print(result, (out) =>
            out(`Scenario ${scenarioId} ${result.scenario.isActive ? 'active' : 'inactive'}`),
          );
        }),
      );
  }

  scenario
    .command('run')
    .description('run an active scenario now; prints the execution id')
    .argument('<id>', 'scenario id', id)
    .option('--data <json>', "the trigger's input data, as JSON")
    .option('--data-file <path>', 'the input data from a JSON file, or - for stdin')
    .action(
      run(async (context, scenarioId: number, options: { data?: string; dataFile?: string }) => {
        if (options.data !== undefined && options.dataFile !== undefined) {
          throw new CliError('give --data or --data-file, not both', exitCodes.usage);
        }
        const text = options.dataFile !== undefined ? await readInput(options.dataFile) : options.data;
        const body =
          text === undefined ? {} : { data: parseJsonOption(options.dataFile ? options.dataFile : '--data', text) };
        const result = await apiRequest<{ executionId: string }>(context, 'POST', `/scenarios/${scenarioId}/run`, body);
        context.print(result, (out) => out(result.executionId));
      }),
    );

  scenario
    .command('logs')
    .description("a scenario's runs, newest first; with an execution id, that run's detail")
    .argument('<id>', 'scenario id', id)
    .argument('[executionId]', 'one run: its module operations and the incomplete executions it parked')
    .option('--limit <n>', 'at most this many', positiveInt('--limit'), 20)
    .action(
      run(async (context, scenarioId: number, executionId: string | undefined, options: { limit: number }) => {
        if (executionId !== undefined) return printRunDetail(context, scenarioId, executionId);
        const result = await apiRequest<{ scenarioLogs: ScenarioLogView[] }>(
          context,
          'GET',
          `/scenarios/${scenarioId}/logs?pg[limit]=${options.limit}`,
        );
        const rows = result.scenarioLogs.map((log) => ({
          id: log.id,
          status: runStatuses[log.status],
          timestamp: log.timestamp,
          durationMs: log.duration,
          operations: log.operations,
          error: log.error ? `${log.error.type}: ${log.error.message}` : undefined,
          discarded: log.discarded?.length ? `${log.discarded.length} (data loss)` : undefined,
        }));
        context.print(result, (out) => {
          const columns = ['id', 'status', 'timestamp', 'durationMs', 'operations', 'error'];
          if (rows.some((row) => row.discarded)) columns.push('discarded');
          table(rows, columns).forEach((l) => out(l));
          // Data loss is never only a number: each dropped bundle, and why.
          for (const log of result.scenarioLogs) printDiscarded(out, log);
        });
      }),
    );
}

const runStatuses: Record<number, string> = { 1: 'success', 2: 'warning', 3: 'error' };

function printDiscarded(out: (line: string) => void, log: ScenarioLogView): void {
  for (const d of log.discarded ?? []) {
    out(`${log.id}: module ${d.moduleId}, bundle ${d.bundleIndex} discarded: ${d.reason}`);
  }
}

/** Make's HISTORY entry: the run, each module operation, then its IEs (resolve them with `imex ie`). */
async function printRunDetail(context: CliContext, scenarioId: number, executionId: string): Promise<void> {
  const result = await apiRequest<{ scenarioLog: RunDetailView }>(
    context,
    'GET',
    `/scenarios/${scenarioId}/logs/${encodeURIComponent(executionId)}`,
  );
  const run = result.scenarioLog;
  context.print(result, (out) => {
    out(`Run ${run.id} of scenario ${scenarioId}: ${runStatuses[run.status]}`);
    out(`  started ${run.timestamp}, ${run.duration} ms, ${run.operations} operations, trigger ${run.trigger}`);
    if (run.ieId) out(`  an attempt of incomplete execution ${run.ieId}`);
    if (run.error) out(`  error: ${run.error.type}: ${run.error.message}`);
    out('Operations:');
    const operations = run.log.map((entry) => ({
      module: `${entry.moduleId} ${entry.module}`,
      bundle: entry.bundleIndex,
      status: entry.status,
      durationMs: entry.durationMs,
      result: entry.status === 'error' ? `${entry.errorType}: ${entry.message}` : `${entry.outputCount ?? 0} bundles`,
    }));
    table(operations, ['module', 'bundle', 'status', 'durationMs', 'result']).forEach((l) => out(`  ${l}`));
    for (const text of run.notes) out(`  note: ${text}`);
    out(`Incomplete executions parked: ${run.dlqCount}`);
    if (run.dlqs.length > 0) {
      const rows = run.dlqs.map((d) => ({ ...d, reason: `${d.errorType}: ${d.reason}` }));
      table(rows, ['id', 'status', 'failer', 'attempts', 'reason']).forEach((l) => out(`  ${l}`));
    }
    if (run.dlqCount > run.dlqs.length) out(`  all of them: imex ie list --execution ${run.id}`);
    printDiscarded(out, run);
  });
}
