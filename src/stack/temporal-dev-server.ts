/**
 * Finds or provides a Temporal server (DESIGN.md §3): TEMPORAL_ADDRESS → `temporal` on PATH →
 * the cached build under `.imex/` → a Go build of the Temporal CLI → a clear error.
 * A dev server we start is healthy only once every imex search attribute is listed in every
 * namespace it serves.
 */
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { imexSearchAttributeTypes } from '../domain/search-attributes';
import { cachedGoBinary, ensureGoBinary, goAvailable, type GoBuild, type GoBuildContext } from './go-build';
import { ManagedProcess } from './managed-process';
import { findOnPath } from './paths';
import { StackError } from './stack-error';
import { waitFor } from './wait';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export const temporalCliBuild: GoBuild = {
  title: `Temporal CLI ${TEMPORAL_CLI_VERSION}`,
  key: `temporal-${TEMPORAL_CLI_VERSION}`,
  binaryName: 'temporal',
  // Later tags cannot be `go install`ed: their go.mod has a replace directive.
  goArgs: () => ['install', '-v', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`],
  goEnv: (out) => ({ GOBIN: out }),
};

export interface TemporalBinaryResolution {
  source: 'path' | 'cache' | 'built';
  binary: string;
}

/** Finds the `temporal` binary, building it with Go when it is nowhere to be found. */
export async function resolveTemporalBinary(
  ctx: GoBuildContext & { envPath?: string },
): Promise<TemporalBinaryResolution> {
  const onPath = findOnPath('temporal', ctx.envPath);
  if (onPath) return { source: 'path', binary: onPath };
  const cached = cachedGoBinary(temporalCliBuild, ctx);
  if (cached) return { source: 'cache', binary: cached };
  if (!goAvailable(ctx.go)) {
    throw new StackError(
      [
        'No Temporal server: TEMPORAL_ADDRESS is not set, there is no `temporal` binary on PATH,',
        `no cached build under ${ctx.binDir}, and no Go toolchain ("${ctx.go}") to build one.`,
        'Do one of these:',
        '  - set TEMPORAL_ADDRESS=host:port of a running Temporal server (e.g. `docker compose up temporal`);',
        '  - install the Temporal CLI (https://docs.temporal.io/cli) so `temporal` is on PATH;',
        '  - install Go 1.24 or newer (or set IMEX_GO) and run again: imex builds the CLI once and caches it.',
      ].join('\n'),
    );
  }
  return { source: 'built', binary: await ensureGoBinary(temporalCliBuild, ctx) };
}

export interface DevServerOptions {
  binary: string;
  port: number;
  uiPort: number;
  /** Namespaces to create besides `default`, each with the imex search attributes. */
  namespaces: string[];
  /** Persist state in this SQLite file; in memory when undefined. */
  dbFile?: string;
  logFile: string;
  headless?: boolean;
  startTimeoutMs?: number;
}

export interface RunningTemporal {
  address: string;
  uiUrl?: string;
  process: ManagedProcess;
}

export async function startTemporalDevServer(options: DevServerOptions): Promise<RunningTemporal> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--log-level',
    'warn',
    // WAL keeps the single SQLite connection from becoming the bottleneck (temporal-ts.md §7).
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=NORMAL',
    // Task-queue priorities (live runs before IE work, src/domain/task-priority.ts): the server of
    // this CLI ignores them unless its priority matcher is on.
    '--dynamic-config-value',
    'matching.useNewMatcher=true',
  ];
  if (options.headless) args.push('--headless');
  if (options.dbFile) args.push('--db-filename', path.resolve(options.dbFile));
  for (const ns of options.namespaces) args.push('--namespace', ns);
  for (const [name, type] of Object.entries(imexSearchAttributeTypes))
    args.push('--search-attribute', `${name}=${type}`);

  const proc = ManagedProcess.start({
    name: 'Temporal dev server',
    command: options.binary,
    args,
    logFile: options.logFile,
  });
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitUntilSearchAttributesListed(address, ['default', ...options.namespaces], proc, options.startTimeoutMs);
  } catch (err) {
    await proc.stop(2000);
    throw err;
  }
  return { address, uiUrl: options.headless ? undefined : `http://127.0.0.1:${options.uiPort}`, process: proc };
}

/** Healthy means: the frontend answers and lists every imex search attribute in every namespace. */
export async function waitUntilSearchAttributesListed(
  address: string,
  namespaces: string[],
  proc?: ManagedProcess,
  timeoutMs = 90_000,
): Promise<void> {
  let connection: Connection | undefined;
  try {
    await waitFor(
      `the Temporal server at ${address} to list the imex search attributes`,
      async () => {
        if (proc?.hasExited) throw new StackError(proc.describeExit());
        connection ??= await Connection.connect({ address, connectTimeout: 2000 });
        for (const namespace of namespaces) {
          const listed = await connection.operatorService.listSearchAttributes({ namespace });
          const names = new Set(Object.keys(listed.customAttributes ?? {}));
          if (!Object.keys(imexSearchAttributeTypes).every((n) => names.has(n))) return undefined;
        }
        return true;
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch (err) {
    if (proc?.hasExited) throw new StackError(proc.describeExit());
    throw err;
  } finally {
    await connection?.close();
  }
}
