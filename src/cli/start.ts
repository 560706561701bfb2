/** `imex start`: the same as `npm start` (the stack, the worker, the API), in this terminal. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { projectRoot } from '../config';

export function registerStartCommand(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('start')
    .description('run imex until Ctrl-C, as npm start does')
    .action(async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'main.ts')], {
        cwd: projectRoot,
        env,
        stdio: 'inherit',
      });
      // Ctrl-C reaches both processes (same process group); a signal sent to us alone is passed on.
      const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
      const onInt = forward('SIGINT');
      const onTerm = forward('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      const code = await new Promise<number>((resolve) =>
        child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 + 2 : 1))),
      );
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.exitCode = code;
    });
}
