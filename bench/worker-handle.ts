/** The parent's side of the bench worker process: start it, ask it things, stop it. */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ActivityBreakdown } from './instrument';
import type { WorkerProcessConfig, WorkerReply, WorkerRequest } from './worker-protocol';

type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class BenchWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: WorkerReply) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly bundlingMs: number,
    /** Size of imex's workflow bundle: every cached workflow evaluates it in a context of its own. */
    readonly bundleBytes: number,
  ) {
    child.on('message', (reply: WorkerReply) => {
      const resolve = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      resolve?.(reply);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(config: WorkerProcessConfig, timeoutMs = 180_000): Promise<BenchWorker> {
    // The parent runs under `node --import tsx`; the child inherits those flags (execArgv).
    const child = fork(path.join(__dirname, 'worker-process.ts'), [], {
      env: { ...process.env, IMEX_BENCH_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ready = await new Promise<{ bundlingMs: number; bundleBytes: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the bench worker did not start in time')), timeoutMs);
      child.once('exit', (code) => reject(new Error(`the bench worker exited with code ${code} before it was ready`)));
      child.once('message', (reply: WorkerReply) => {
        clearTimeout(timer);
        if (reply.type === 'ready') resolve(reply);
        else reject(new Error(`unexpected first message from the bench worker: ${reply.type}`));
      });
    });
    return new BenchWorker(child, ready.bundlingMs, ready.bundleBytes);
  }

  private request(body: RequestBody): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) =>
        reply.type === 'error' ? reject(new Error(`bench worker: ${reply.message}`)) : resolve(reply),
      );
      this.child.send({ ...body, id } as WorkerRequest);
    });
  }

  /** The worker process's RSS and main-thread heap (workflow isolates live in worker threads: RSS only). */
  async memory(): Promise<{ rss: number; heapUsed: number; cachedWorkflows: number }> {
    const reply = await this.request({ type: 'memory' });
    if (reply.type !== 'memory') throw new Error(`unexpected reply ${reply.type}`);
    return { rss: reply.rss, heapUsed: reply.heapUsed, cachedWorkflows: reply.cachedWorkflows };
  }

  async breakdown(reset = false): Promise<ActivityBreakdown> {
    const reply = await this.request({ type: 'breakdown', reset });
    if (reply.type !== 'breakdown') throw new Error(`unexpected reply ${reply.type}`);
    return reply.breakdown;
  }

  /** How many times `call` was made inside activities of type `activity` so far. */
  async count(activity: string, call: string): Promise<number> {
    const reply = await this.request({ type: 'count', activity, call });
    if (reply.type !== 'count') throw new Error(`unexpected reply ${reply.type}`);
    return reply.count;
  }

  async stop(timeoutMs = 60_000): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await Promise.race([this.request({ type: 'stop' }).then(() => exited), exited]);
    clearTimeout(timer);
  }

  /** Best effort when the bench itself fails. */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
