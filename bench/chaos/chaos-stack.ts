/**
 * The fault suite's own stack, built from the launcher's parts (src/stack): a Temporal dev server
 * whose database is a file in a temporary folder (so it can be killed and started again on the
 * same port with its state), and FerretDB on its own data dir, which can be frozen (SIGSTOP of
 * its process group) and thawed. Everything lives in one temporary folder, removed on stop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImexConfig } from '../../src/config';
import { freePort } from '../../src/stack/free-port';
import type { ManagedProcess } from '../../src/stack/managed-process';
import { resolveMongoBinary, startMongoServer } from '../../src/stack/mongo-server';
import { imexPaths } from '../../src/stack/paths';
import { resolveTemporalBinary, startTemporalDevServer } from '../../src/stack/temporal-dev-server';

export class ChaosStack {
  private constructor(
    readonly dir: string,
    readonly temporalAddress: string,
    readonly mongoUrl: string,
    private temporal: ManagedProcess,
    private readonly store: ManagedProcess,
    private readonly startTemporal: () => Promise<ManagedProcess>,
  ) {}

  static async start(config: ImexConfig): Promise<ChaosStack> {
    const paths = imexPaths(config.IMEX_HOME, config.IMEX_DATA_DIR);
    const goCtx = { go: config.IMEX_GO, binDir: paths.bin, buildDir: paths.build };
    const [temporalBinary, mongoBinary] = await Promise.all([resolveTemporalBinary(goCtx), resolveMongoBinary(goCtx)]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'imex-chaos-'));
    const [port, uiPort, storePort] = [await freePort(), await freePort(), await freePort()];
    const startTemporal = async () =>
      (
        await startTemporalDevServer({
          binary: temporalBinary.binary,
          port,
          uiPort,
          namespaces: [],
          dbFile: path.join(dir, 'temporal.sqlite'),
          logFile: path.join(dir, 'temporal.log'),
          headless: true,
        })
      ).process;
    try {
      const [temporal, store] = await Promise.all([
        startTemporal(),
        startMongoServer({
          server: mongoBinary,
          port: storePort,
          dataDir: path.join(dir, 'store'),
          logFile: path.join(dir, 'store.log'),
        }),
      ]);
      return new ChaosStack(dir, `127.0.0.1:${port}`, store.url, temporal, store.process, startTemporal);
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Kills the dev server outright (SIGKILL) and starts it again: same database file, same port.
   * `whileDown` runs between the two (what clients do while nothing answers).
   */
  async restartTemporal(whileDown?: () => Promise<void>): Promise<void> {
    try {
      process.kill(-this.temporal.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await this.temporal.stop(1000);
    await whileDown?.();
    this.temporal = await this.startTemporal();
  }

  /** Freezes the store's whole process group: connections hang, nothing answers. */
  pauseStore(): void {
    process.kill(-this.store.pid, 'SIGSTOP');
  }

  resumeStore(): void {
    process.kill(-this.store.pid, 'SIGCONT');
  }

  async stop(keepDir = false): Promise<void> {
    try {
      this.resumeStore();
    } catch {
      // already gone
    }
    await Promise.all([this.temporal.stop(), this.store.stop()]);
    if (!keepDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Best effort from an exit handler. */
  stopSync(): void {
    for (const p of [this.temporal, this.store]) {
      try {
        process.kill(-p.pid, 'SIGCONT');
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
