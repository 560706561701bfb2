/**
 * The parent's side of an imex worker process (worker-process.ts): start it, kill it as a crash
 * would (SIGKILL), or stop it gracefully (SIGTERM: the worker drains, then exits).
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { PolicyOverrides, RetrySchedule } from '../../src/domain';

export interface ImexWorkerProcessConfig {
  temporalAddress: string;
  namespace: string;
  mongoUrl: string;
  dbName: string;
  taskQueue: string;
  /** The IEs' auto-retry schedule (ms per step); Make's when absent. */
  schedule?: RetrySchedule;
  /** Overrides of the worker's policy table (e.g. fast in-run retries). */
  policy?: PolicyOverrides;
  /** Workflow code bundled once (`bundleImexWorkflows()` written to a file): each start skips bundling. */
  workflowBundlePath?: string;
}

export class ImexWorkerProcess {
  private ending = false;

  private constructor(private readonly child: ChildProcess) {}

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Called once if the process ends by itself (not through kill or stop): a supervisor restarts it. */
  onUnexpectedExit(handler: (description: string) => void): void {
    this.child.once('exit', (code, signal) => {
      if (!this.ending) handler(signal ? `signal ${signal}` : `exit code ${code}`);
    });
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Forks the worker (under tsx) with its output appended to `logFile`; resolves once it polls. */
  static async start(
    config: ImexWorkerProcessConfig,
    logFile: string,
    timeoutMs = 180_000,
  ): Promise<ImexWorkerProcess> {
    const log = fs.openSync(logFile, 'a');
    const child = fork(path.join(__dirname, 'worker-process.ts'), [], {
      env: { ...process.env, IMEX_CHAOS_WORKER: JSON.stringify(config) },
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', log, log, 'ipc'],
    });
    fs.closeSync(log);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the imex worker did not start in time (log: ${logFile})`)),
          timeoutMs,
        );
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(
            new Error(`the imex worker exited (${signal ?? `code ${code}`}) before it was ready (log: ${logFile})`),
          );
        });
        child.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    child.removeAllListeners('exit');
    return new ImexWorkerProcess(child);
  }

  /** A crash: no shutdown, no drain; resolves once the process is gone. */
  async kill(): Promise<void> {
    this.ending = true;
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await gone;
  }

  /** A graceful stop (SIGTERM: in-flight activities finish), SIGKILL after `graceMs`. */
  async stop(graceMs = 45_000): Promise<void> {
    this.ending = true;
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }
}
