/** `imex org`: organizations, straight in the store (an operator's command). */
import type { Command } from 'commander';
import type { Organization, Store } from '../store';
import { CliContext, CliError, exitCodes, nonNegativeInt, positiveInt, type Output } from './context';

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

  org
    .command('show')
    .description('an organization: its incomplete-execution storage limit and what it uses now')
    .argument('<id>', 'organization id', positiveInt('<id>'))
    .action(async (orgId: number, _options: unknown, command: Command) => {
      const context = new CliContext(command, output, env);
      const view = await context.withStore(async (store) => quotaView(store, await existing(store, orgId)));
      printQuota(context, view);
    });

  org
    .command('set-quota')
    .description("change an organization's incomplete-execution storage limit (parks see it within seconds)")
    .argument('<id>', 'organization id', positiveInt('<id>'))
    .option('--mb <mb>', 'the limit in MB (2^20 bytes)', nonNegativeInt('--mb'))
    .option('--bytes <bytes>', 'the limit in bytes', nonNegativeInt('--bytes'))
    .action(async (orgId: number, options: { mb?: number; bytes?: number }, command: Command) => {
      const context = new CliContext(command, output, env);
      if ((options.mb === undefined) === (options.bytes === undefined)) {
        throw new CliError('give --mb or --bytes (one of them)', exitCodes.usage);
      }
      const bytes = options.bytes ?? (options.mb as number) * MB;
      if (!Number.isSafeInteger(bytes)) throw new CliError('the limit is too large', exitCodes.usage);
      const view = await context.withStore(async (store) => {
        await existing(store, orgId);
        await store.organizations.setQuota(orgId, bytes);
        return quotaView(store, await existing(store, orgId));
      });
      printQuota(context, view);
    });
}

interface QuotaView {
  id: number;
  name: string;
  ieQuotaBytes: number;
  ieUsedBytes: number;
}

async function existing(store: Store, orgId: number): Promise<Organization> {
  const org = await store.organizations.get(orgId);
  if (!org) throw new CliError(`organization ${orgId} not found`, exitCodes.notFound);
  return org;
}

/** The same figures as `GET /organizations/{id}`: the limit, and what the quota ledger holds. */
async function quotaView(store: Store, org: Organization): Promise<QuotaView> {
  const usage = await store.quota.usage(org._id);
  return { id: org._id, name: org.name, ieQuotaBytes: org.ieQuotaBytes, ieUsedBytes: usage.used };
}

function printQuota(context: CliContext, view: QuotaView): void {
  const mb = (bytes: number) => `${(bytes / MB).toFixed(bytes % MB === 0 ? 0 : 2)} MB`;
  context.print(view, (out) =>
    out(
      `Organization ${view.id} "${view.name}": incomplete executions use ${mb(view.ieUsedBytes)} ` +
        `(${view.ieUsedBytes} bytes) of ${mb(view.ieQuotaBytes)} (${view.ieQuotaBytes} bytes)`,
    ),
  );
}
