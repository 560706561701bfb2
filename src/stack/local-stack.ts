/**
 * The local stack: a Temporal server and a MongoDB wire-protocol server, each either given by
 * the environment (TEMPORAL_ADDRESS, MONGO_URL) or started here and stopped by `stop()`.
 *
 * - `persistent` (npm start): fixed ports from the config; Temporal keeps its state in
 *   `.imex/data/temporal.sqlite` and the store in `.imex/data/store`, so parked work survives a restart.
 * - `ephemeral` (tests): free loopback ports, Temporal in memory, the store in a temporary folder
 *   removed on stop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImexConfig } from '../config';
import type { GoBuildContext } from './go-build';
import { freePort, isPortInUse } from './free-port';
import type { ManagedProcess } from './managed-process';
import { resolveMongoBinary, startMongoServer } from './mongo-server';
import { imexPaths } from './paths';
import { StackError } from './stack-error';
import { resolveTemporalBinary, startTemporalDevServer, waitUntilSearchAttributesListed } from './temporal-dev-server';

export interface LocalStackOptions {
  config: ImexConfig;
  mode: 'persistent' | 'ephemeral';
  /** Namespaces to create besides `default` (dev server only). */
  namespaces?: string[];
  headless?: boolean;
  progress?: (line: string) => void;
  /** PATH used to look for binaries (tests simulate a bare machine with it). */
  envPath?: string;
}

export interface LocalStack {
  temporalAddress: string;
  temporalUiUrl?: string;
  mongoUrl: string;
  /** What this stack started (and will stop), for messages and tests. */
  started: { name: string; pid: number }[];
  stop(): Promise<void>;
  /** Best effort from a synchronous `exit` handler: SIGTERM to every group started. */
  stopSync(): void;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { config } = options;
  const paths = imexPaths(config.IMEX_HOME, config.IMEX_DATA_DIR);
  const goCtx: GoBuildContext & { envPath?: string } = {
    go: config.IMEX_GO,
    binDir: paths.bin,
    buildDir: paths.build,
    progress: options.progress,
    envPath: options.envPath,
  };
  const persistent = options.mode === 'persistent';
  const processes: ManagedProcess[] = [];
  const cleanups: (() => void)[] = [];

  const stop = async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
    for (const cleanup of cleanups.splice(0)) cleanup();
  };

  try {
    // Resolve (and if needed build) both binaries at once: two cold Go builds overlap.
    const [temporalBinary, mongoBinary] = await Promise.all([
      config.TEMPORAL_ADDRESS ? undefined : resolveTemporalBinary(goCtx),
      config.MONGO_URL ? undefined : resolveMongoBinary(goCtx),
    ]);

    let temporalAddress = config.TEMPORAL_ADDRESS;
    let temporalUiUrl: string | undefined;
    if (temporalBinary) {
      const logFile = path.join(paths.logs, persistent ? 'temporal.log' : `temporal-test-${process.pid}.log`);
      if (!persistent) cleanups.push(() => fs.rmSync(logFile, { force: true }));
      const temporal = await startOnPorts(persistent, async () =>
        startTemporalDevServer({
          binary: temporalBinary.binary,
          port: persistent ? await portOrError(config.IMEX_TEMPORAL_PORT, 'IMEX_TEMPORAL_PORT') : await freePort(),
          uiPort: persistent
            ? await portOrError(config.IMEX_TEMPORAL_UI_PORT, 'IMEX_TEMPORAL_UI_PORT')
            : await freePort(),
          namespaces: options.namespaces ?? [],
          dbFile: persistent ? path.join(paths.data, 'temporal.sqlite') : undefined,
          logFile,
          headless: options.headless,
        }),
      );
      processes.push(temporal.process);
      temporalAddress = temporal.address;
      temporalUiUrl = temporal.uiUrl;
    } else if (temporalAddress && options.namespaces?.length) {
      // An external server must already have the namespaces and search attributes.
      await waitUntilSearchAttributesListed(temporalAddress, options.namespaces, undefined, 15_000);
    }

    let mongoUrl = config.MONGO_URL;
    if (mongoBinary) {
      const dataDir = persistent
        ? path.join(paths.data, 'store')
        : fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'imex-store-'));
      const logFile = path.join(paths.logs, persistent ? 'store.log' : `store-test-${process.pid}.log`);
      if (!persistent) {
        cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
        cleanups.push(() => fs.rmSync(logFile, { force: true }));
      }
      const mongo = await startOnPorts(persistent, async () =>
        startMongoServer({
          server: mongoBinary,
          port: persistent ? await portOrError(config.IMEX_STORE_PORT, 'IMEX_STORE_PORT') : await freePort(),
          dataDir,
          logFile,
        }),
      );
      processes.push(mongo.process);
      mongoUrl = mongo.url;
    }

    return {
      temporalAddress: temporalAddress as string,
      temporalUiUrl,
      mongoUrl: mongoUrl as string,
      started: processes.map((p) => ({ name: p.name, pid: p.pid })),
      stop,
      stopSync: () => {
        for (const p of processes) {
          try {
            process.kill(-p.pid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A free port is only free until someone binds it: with many servers starting at once (parallel
 * test runs), another process may take it first and the server exits at start. On free ports,
 * try again with new ones; fixed ports were checked and answer with the error.
 */
async function startOnPorts<T>(fixedPorts: boolean, start: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (fixedPorts || attempt >= tries || !(err instanceof StackError) || !/exited/.test(err.message)) throw err;
    }
  }
}

async function portOrError(port: number, variable: string): Promise<number> {
  if (await isPortInUse(port)) {
    throw new StackError(
      `Port ${port} on 127.0.0.1 is already in use (another imex, or another server). ` +
        `Stop it, or choose another port with ${variable}=<port>.`,
    );
  }
  return port;
}
