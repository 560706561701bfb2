/** `imex store`: maintenance of the store itself, straight in MongoDB (an operator's command). */
import type { Command } from 'commander';
import { reencryptStoredData } from '../store';
import { CliContext, CliError, exitCodes, type Output } from './context';

export function registerStoreCommands(program: Command, output: Output, env: NodeJS.ProcessEnv): void {
  const store = program.command('store').description('the store itself (talks to MongoDB directly)');

  store
    .command('reencrypt')
    .description(
      'seal every stored user-data field with the active key (after a key rotation, before dropping the old key; docs/security.md)',
    )
    .action(async (_options: unknown, command: Command) => {
      const context = new CliContext(command, output, env);
      const report = await context.withStore((opened) => {
        if (!opened.cipher.enabled) {
          throw new CliError(
            'no encryption keys: set IMEX_ENCRYPTION_KEYS or IMEX_ENCRYPTION_KEY_FILE (the new key first, the old ones after it)',
            exitCodes.usage,
          );
        }
        return reencryptStoredData(opened.db, opened.cipher);
      });
      context.print(report, (out) => {
        out(`Stored user data sealed with key "${report.activeKeyId}":`);
        for (const [field, counts] of Object.entries(report.fields)) {
          out(
            `  ${field}: ${counts.resealed} resealed, ${counts.current} already current` +
              (counts.changedMeanwhile
                ? `, ${counts.changedMeanwhile} changed meanwhile (written with the active key)`
                : ''),
          );
        }
      });
    });
}
