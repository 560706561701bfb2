/** `imex org`: organizations, straight in the store (an operator's command). */
import type { Command } from 'commander';
import { CliContext, CliError, exitCodes, positiveInt, type Output } from './context';

const MB = 1024 * 1024;

export function registerOrgCommands(program: Command, output: Output, env: NodeJS.ProcessEnv): void {
  const org = program.command('org').description('organizations (talks to MongoDB directly)');

  org
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'its name')
    .option('--quota-mb <mb>', 'incomplete-execution storage in MB (default 500, as Make)', positiveInt('--quota-mb'))
    .action(async (options: { name: string; quotaMb?: number }, command: Command) => {
      const context = new CliContext(command, output, env);
      const name = options.name.trim();
      if (!name) throw new CliError('--name must not be empty', exitCodes.usage);
      const created = await context.withStore((store) =>
        store.organizations.create({
          name,
          ...(options.quotaMb === undefined ? {} : { ieQuotaBytes: options.quotaMb * MB }),
        }),
      );
      const view = {
        id: created._id,
        name: created.name,
        ieQuotaBytes: created.ieQuotaBytes,
        createdAt: created.createdAt,
      };
      context.print(view, (out) =>
        out(
          `Organization ${view.id} "${view.name}" created (incomplete-execution storage ${view.ieQuotaBytes / MB} MB)`,
        ),
      );
    });
}
