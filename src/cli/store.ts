/** `imex store`: maintenance of the store itself, straight in MongoDB (an operator's command). */
import type { Command } from 'commander';
import type { Keyring } from '../crypto/keyring';
import { reencryptStoredData, rewrapOrgKeys, type Store } from '../store';
import { CliContext, CliError, exitCodes, type Output } from './context';

export function registerStoreCommands(program: Command, output: Output, env: NodeJS.ProcessEnv): void {
  const store = program.command('store').description('the store itself (talks to MongoDB directly)');

  store
    .command('reencrypt')
    .description(
      "seal every stored user-data field not sealed yet with its organization's data key, or with the active master key (docs/security.md)",
    )
    .action(async (_options: unknown, command: Command) => {
      const context = new CliContext(command, output, env);
      const report = await context.withStore((opened) => {
        requireKeys(opened);
        return reencryptStoredData(opened.db, opened.cipher);
      });
      context.print(report, (out) => {
        out(`Stored user data sealed with organization keys, and master key "${report.activeKeyId}" for the rest:`);
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

  store
    .command('rewrap')
    .description(
      "wrap every organization's data key with the active master key (after a master key rotation, before dropping the old key; no user data is rewritten)",
    )
    .action(async (_options: unknown, command: Command) => {
      const context = new CliContext(command, output, env);
      const report = await context.withStore((opened) => {
        const keyring = requireKeys(opened);
        return rewrapOrgKeys(opened.db, keyring);
      });
      context.print(report, (out) => {
        out(
          `Organization data keys wrapped with master key "${report.activeKeyId}": ${report.rewrapped} rewrapped, ` +
            `${report.current} already current, in ${report.organizations} organizations` +
            (report.changedMeanwhile ? `; ${report.changedMeanwhile} changed meanwhile (run again)` : ''),
        );
      });
    });
}

function requireKeys(store: Store): Keyring {
  if (!store.cipher.keyring) {
    throw new CliError(
      'no encryption keys: set IMEX_ENCRYPTION_KEYS or IMEX_ENCRYPTION_KEY_FILE (the new key first, the old ones after it)',
      exitCodes.usage,
    );
  }
  return store.cipher.keyring;
}
