/**
 * `imex`: the command line. Operators' commands (`org`, `token`) talk to MongoDB directly;
 * the others go through the HTTP API like any client. Tables for people, `--json` for scripts;
 * exit codes in `context.ts` (and docs/cli.md).
 *
 *   npm run imex -- token create --org 1 --scopes all
 */
import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { CliError, exitCodes, processOutput, type Output } from './context';
import { registerDataStoreCommands } from './data-store';
import { registerIeCommands } from './ie';
import { registerOrgCommands } from './org';
import { registerScenarioCommands } from './scenario';
import { registerStoreCommands } from './store';
import { registerStartCommand } from './start';
import { registerTokenCommands } from './token';

export function buildProgram(output: Output = processOutput, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('imex')
    .description(
      "Make's incomplete executions on Temporal: incomplete executions, scenarios, data stores, tokens and organizations",
    )
    .version(version, '-V, --version')
    .option('--json', 'print JSON instead of tables (for scripts)')
    .option('--api-url <url>', 'the imex API (default: IMEX_API_URL, else http://IMEX_API_HOST:IMEX_API_PORT)')
    .option('--token <token>', 'API token (default: IMEX_TOKEN)')
    .option('--verbose', 'say on stderr which API or store each command talks to')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text.replace(/\n$/, '')),
      writeErr: (text) => output.err(text.replace(/\n$/, '')),
    });
  registerStartCommand(program, env);
  registerOrgCommands(program, output, env);
  registerTokenCommands(program, output, env);
  registerScenarioCommands(program, output, env);
  registerStoreCommands(program, output, env);
  registerIeCommands(program, output, env);
  registerDataStoreCommands(program, output, env);
  // Every subcommand reports usage errors the same way, through the program's exitOverride.
  const inherit = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput(program.configureOutput()).showHelpAfterError('(add --help for usage)');
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs the CLI; resolves to the exit code. Never throws. */
export async function runCli(argv: string[], output: Output = processOutput, env = process.env): Promise<number> {
  const program = buildProgram(output, env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help / version).
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    if (error instanceof CliError) {
      output.err(`error: ${error.message}`);
      error.details.forEach((line) => output.err(line));
      return error.exitCode;
    }
    output.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return exitCodes.failure;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
