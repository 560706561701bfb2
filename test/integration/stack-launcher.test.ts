/**
 * The launcher as a user meets it: a clear error on a bare machine, and no server left behind
 * however it is stopped (SIGINT, SIGTERM, or killed outright).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../src/stack/wait';

const root = path.resolve(__dirname, '../..');

function runStackCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/stack/cli.ts'), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): { out: () => string } {
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return { out: () => text };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function childPids(out: string): number[] {
  const match = /\(pids ([\d, ]+)\)/.exec(out);
  if (!match?.[1]) throw new Error(`no pids in output:\n${out}`);
  return match[1].split(',').map((p) => Number(p.trim()));
}

test('gives a clear error, not a stack trace, when neither a binary nor Go is available', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'imex-bare-'));
  const child = runStackCli(['--ephemeral'], {
    PATH: '/nonexistent',
    HOME: home,
    IMEX_HOME: home,
    IMEX_GO: '/nonexistent/go',
  });
  const { out } = collect(child);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  fs.rmSync(home, { recursive: true, force: true });
  expect(code).toBe(1);
  expect(out()).toMatch(/No Temporal server: TEMPORAL_ADDRESS is not set/);
  expect(out()).toMatch(/install Go 1\.24 or newer/);
  expect(out()).not.toMatch(/\n\s+at /); // no stack trace
});

test('rejects a bad configuration value naming the variable', async () => {
  const child = runStackCli(['--ephemeral'], { ...process.env, IMEX_TEMPORAL_PORT: 'seventy' });
  const { out } = collect(child);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(1);
  expect(out()).toMatch(/IMEX_TEMPORAL_PORT/);
  expect(out()).not.toMatch(/\n\s+at /);
});

describe.each([
  ['SIGINT', 'SIGINT'],
  ['SIGTERM', 'SIGTERM'],
  ['SIGKILL (the watchdog cleans up)', 'SIGKILL'],
] as const)('stopped by %s', (_label, signal) => {
  test('leaves no server process behind', async () => {
    const env = { ...process.env, TEMPORAL_ADDRESS: '', MONGO_URL: '' };
    const child = runStackCli(['--ephemeral'], env);
    const { out } = collect(child);
    await waitFor('the stack to be ready', async () => (/Ready in/.test(out()) ? true : undefined), {
      timeoutMs: 60_000,
    });
    const pids = childPids(out());
    expect(pids).toHaveLength(2);
    expect(pids.every(isAlive)).toBe(true);

    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill(signal);
    await exited;
    await waitFor('every server process to be gone', async () => (pids.some(isAlive) ? undefined : true), {
      timeoutMs: 20_000,
    });
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
