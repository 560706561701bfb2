/** The `imex` CLI as a user runs it: a child process with only the environment it is given. */
import { execFile } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `imex <args>` with PATH, HOME and `env` (undefined values are left out). */
export function runImexCli(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 90_000,
): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), ...args],
      { cwd: root, env: childEnv, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
