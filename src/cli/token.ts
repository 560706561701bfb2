/** `imex token`: API tokens, straight in the store (an operator's command). */
import type { Command } from 'commander';
import { apiScopes, isApiScope, type ApiScope, type ApiToken } from '../store';
import { CliContext, CliError, exitCodes, positiveInt, table, type Output } from './context';

function parseScopes(value: string): ApiScope[] {
  const scopes = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (scopes.length === 1 && scopes[0] === 'all') return [...apiScopes];
  const unknown = scopes.filter((s) => !isApiScope(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new CliError(
      `--scopes: ${unknown.length ? `unknown scope ${unknown.join(', ')}` : 'none given'} (known: ${apiScopes.join(', ')}, or all)`,
      exitCodes.usage,
    );
  }
  return scopes as ApiScope[];
}

function tokenView(token: ApiToken) {
  return { ...token, revoked: Boolean(token.revokedAt) };
}

export function registerTokenCommands(program: Command, output: Output, env: NodeJS.ProcessEnv): void {
  const token = program.command('token').description('API tokens (talks to MongoDB directly)');

  token
    .command('create')
    .description('create a token for an organization; it is printed once, only now')
    .requiredOption('--org <id>', 'the organization', positiveInt('--org'))
    .requiredOption('--scopes <list>', `comma-separated: ${apiScopes.join(', ')}, or all`, parseScopes)
    .option('--name <name>', 'a label, e.g. what uses it')
    .action(async (options: { org: number; scopes: ApiScope[]; name?: string }, command: Command) => {
      const context = new CliContext(command, output, env);
      const created = await context.withStore(async (store) => {
        if (!(await store.organizations.get(options.org))) {
          throw new CliError(`organization ${options.org} not found`, exitCodes.notFound);
        }
        return store.apiTokens.create({ orgId: options.org, scopes: options.scopes, name: options.name });
      });
      context.print({ token: created.token, ...created.apiToken }, (out) => {
        out(`Token ${created.apiToken.id} for organization ${options.org} (${options.scopes.join(', ')}).`);
        out('It is shown only now; store it safely:');
        out(created.token);
      });
    });

  token
    .command('list')
    .description("an organization's tokens (never their secrets)")
    .requiredOption('--org <id>', 'the organization', positiveInt('--org'))
    .action(async (options: { org: number }, command: Command) => {
      const context = new CliContext(command, output, env);
      const tokens = await context.withStore((store) => store.apiTokens.list(options.org));
      context.print(tokens.map(tokenView), (out) =>
        table(tokens.map(tokenView), ['id', 'name', 'scopes', 'createdAt', 'revoked']).forEach((line) => out(line)),
      );
    });

  token
    .command('revoke')
    .description('revoke a token: it stops working at once')
    .argument('<tokenId>', 'the id `token list` shows (not the secret)')
    .action(async (tokenId: string, _options: unknown, command: Command) => {
      const context = new CliContext(command, output, env);
      const result = await context.withStore((store) => store.apiTokens.revoke(tokenId));
      if (result === 'missing') throw new CliError(`token ${tokenId} not found`, exitCodes.notFound);
      context.print({ id: tokenId, revoked: true, alreadyRevoked: result === 'already-revoked' }, (out) =>
        out(result === 'revoked' ? `Token ${tokenId} revoked` : `Token ${tokenId} was already revoked`),
      );
    });
}
