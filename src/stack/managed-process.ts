/**
 * A server process the launcher started and must stop: in its own process group (so its own
 * children die with it), its output in a log file, and a watchdog that kills the group if this
 * Node process dies without cleaning up (SIGKILL, a crash), so no server is ever orphaned.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import type { Socket } from 'node:net';

// Runs in a separate tiny Node process: polls the launcher's pid and, once it is gone,
// terminates the server's process group. It exits by itself when the server exits.
const WATCHDOG_SOURCE = `
const [parent, group] = process.argv.slice(1).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
setInterval(() => {
  if (!alive(group)) process.exit(0);
  if (!alive(parent)) {
    try { process.kill(-group, 'SIGTERM'); } catch {}
    setTimeout(() => { try { process.kill(-group, 'SIGKILL'); } catch {} process.exit(0); }, 5000);
  }
}, 500);
`;

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Keep stdin open as a pipe: servers that exit when it closes then die with us. */
  keepStdinOpen?: boolean;
}

export class ManagedProcess {
  private exited = false;
  private exitDescription = '';
  private readonly tail: string[] = [];

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    private readonly watchdog: ChildProcess,
  ) {
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exitDescription = signal ? `signal ${signal}` : `exit code ${code}`;
    });
  }

  static start(options: ManagedProcessOptions): ManagedProcess {
    const log = fs.openSync(options.logFile, 'a');
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: [options.keepStdinOpen ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    fs.closeSync(log);
    if (child.pid === undefined) {
      throw new Error(`${options.name} could not be started (${options.command})`);
    }
    const watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, String(process.pid), String(child.pid)], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.unref();
    const managed = new ManagedProcess(options.name, child, watchdog);
    const logStream = fs.createWriteStream(options.logFile, { flags: 'a' });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        logStream.write(chunk);
        managed.remember(chunk.toString('utf8'));
      });
    }
    child.once('exit', () => logStream.end());
    // The launcher's own handles must not keep Node alive after stop().
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as Partial<Socket> | null)?.unref?.();
    return managed;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  /** Why it is no longer running, with the last lines it printed. */
  describeExit(): string {
    return `${this.name} exited (${this.exitDescription}). Last output:\n${this.recentOutput()}`;
  }

  recentOutput(): string {
    return this.tail.join('').split('\n').slice(-25).join('\n');
  }

  /** Lines printed so far, for servers that announce readiness on stdout. */
  output(): string {
    return this.tail.join('');
  }

  private remember(text: string): void {
    this.tail.push(text);
    if (this.tail.length > 200) this.tail.splice(0, this.tail.length - 200);
  }

  /** SIGTERM to the whole group, SIGKILL after the grace period; resolves once it has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.exited) {
      const exited = once(this.child, 'exit');
      signalGroup(this.pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        signalGroup(this.pid, 'SIGKILL');
        await exited;
      }
    }
    // Children of the server that ignored SIGTERM go too.
    signalGroup(this.pid, 'SIGKILL');
    if (this.watchdog.pid !== undefined) signalGroup(this.watchdog.pid, 'SIGKILL', false);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals, group = true): void {
  try {
    process.kill(group ? -pid : pid, signal);
  } catch {
    // already gone
  }
}
