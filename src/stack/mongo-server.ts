/**
 * Finds or provides a MongoDB wire-protocol server (DESIGN.md §3): MONGO_URL → `mongod` on PATH
 * → `ferretdb` on PATH → imex's cached FerretDB build → a Go build of it → a clear error.
 *
 * imex's FerretDB is a small Go program (src/stack/ferretdb) that embeds FerretDB v1.24.2 with
 * the SQLite backend: building FerretDB's own command with `go install` gives a binary that
 * panics at start. The embedded server reports no telemetry and opens no debug listener.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { projectRoot } from '../config';
import { cachedGoBinary, ensureGoBinary, goAvailable, type GoBuild, type GoBuildContext } from './go-build';
import { ManagedProcess } from './managed-process';
import { findOnPath } from './paths';
import { StackError } from './stack-error';
import { waitFor } from './wait';

export const FERRETDB_VERSION = 'v1.24.2';
const ferretSourceDir = path.join(projectRoot, 'src', 'stack', 'ferretdb');

/**
 * imex's patches to FerretDB, applied in this order (src/stack/ferretdb):
 * - sorted finds on declared fields pushed down to SQLite (list_index.go);
 * - an update closes its read before it writes, so concurrent updates cannot deadlock the
 *   SQLite connection pool (imex_read_then_write.go in the patch).
 */
const FERRETDB_PATCHES = ['ferretdb-pushdown.patch', 'ferretdb-read-then-write.patch'];

/**
 * `patch` where the machine has it, else git (always there: the project is a clone), kept from
 * finding the project's own repository above the build folder.
 */
const applyPatch = (file: string) =>
  [
    `if command -v patch >/dev/null; then patch -d "$WORK/ferretdb" -p1 < ${file};`,
    `else (P="$PWD/${file}"; cd "$WORK/ferretdb" && GIT_CEILING_DIRECTORIES="$WORK" git apply -p1 "$P"); fi &&`,
  ].join('\n');

/** FerretDB's module is copied into the build folder and patched there; a copy of go.mod points at it. */
const prepareFerretDbSource = [
  `"$GO" mod download github.com/FerretDB/FerretDB@${FERRETDB_VERSION} &&`,
  `SRC=$("$GO" list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB) &&`,
  'rm -rf "$WORK/ferretdb" && cp -R "$SRC" "$WORK/ferretdb" && chmod -R u+w "$WORK/ferretdb" &&',
  ...FERRETDB_PATCHES.map(applyPatch),
  'cp go.mod go.sum "$WORK/" &&',
  '"$GO" mod edit -modfile="$WORK/go.mod" -replace github.com/FerretDB/FerretDB="$WORK/ferretdb"',
].join('\n');

/** The cache key includes a hash of the Go sources and the patch, so editing them rebuilds. */
export function ferretDbBuild(): GoBuild {
  const hash = crypto.createHash('sha256');
  const sources = fs
    .readdirSync(ferretSourceDir)
    .filter((file) => /\.(go|patch)$/.test(file) || file === 'go.mod' || file === 'go.sum')
    .sort();
  for (const file of sources) hash.update(file).update(fs.readFileSync(path.join(ferretSourceDir, file)));
  return {
    title: `FerretDB ${FERRETDB_VERSION}`,
    key: `imex-ferretdb-${FERRETDB_VERSION}-${hash.digest('hex').slice(0, 12)}`,
    binaryName: 'imex-ferretdb',
    cwd: ferretSourceDir,
    prepare: prepareFerretDbSource,
    goArgs: (out) => {
      const modfile = path.join(path.dirname(out), 'go.mod');
      return ['build', '-v', '-trimpath', '-modfile', modfile, '-o', path.join(out, 'imex-ferretdb'), '.'];
    },
  };
}

export type MongoBinary =
  | { kind: 'mongod'; binary: string; source: 'path' }
  | { kind: 'ferretdb'; binary: string; source: 'path' }
  | { kind: 'imex-ferretdb'; binary: string; source: 'cache' | 'built' };

export async function resolveMongoBinary(ctx: GoBuildContext & { envPath?: string }): Promise<MongoBinary> {
  const mongod = findOnPath('mongod', ctx.envPath);
  if (mongod) return { kind: 'mongod', binary: mongod, source: 'path' };
  const ferretdb = findOnPath('ferretdb', ctx.envPath);
  if (ferretdb) return { kind: 'ferretdb', binary: ferretdb, source: 'path' };
  const build = ferretDbBuild();
  const cached = cachedGoBinary(build, ctx);
  if (cached) return { kind: 'imex-ferretdb', binary: cached, source: 'cache' };
  if (!goAvailable(ctx.go)) {
    throw new StackError(
      [
        'No MongoDB: MONGO_URL is not set, there is no `mongod` or `ferretdb` binary on PATH,',
        `no cached FerretDB build under ${ctx.binDir}, and no Go toolchain ("${ctx.go}") to build one.`,
        'Do one of these:',
        '  - set MONGO_URL=mongodb://host:port of a running MongoDB 7 (e.g. `docker compose up mongo`);',
        '  - install MongoDB so `mongod` is on PATH;',
        '  - install Go 1.24 or newer (or set IMEX_GO) and run again: imex builds FerretDB once and caches it.',
      ].join('\n'),
    );
  }
  return { kind: 'imex-ferretdb', binary: await ensureGoBinary(build, ctx), source: 'built' };
}

export interface MongoServerOptions {
  server: MongoBinary;
  port: number;
  dataDir: string;
  logFile: string;
  startTimeoutMs?: number;
}

export interface RunningMongo {
  url: string;
  process: ManagedProcess;
}

export async function startMongoServer(options: MongoServerOptions): Promise<RunningMongo> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const listen = `127.0.0.1:${options.port}`;
  const { binary, kind } = options.server;
  const args =
    kind === 'mongod'
      ? ['--dbpath', options.dataDir, '--bind_ip', '127.0.0.1', '--port', String(options.port), '--quiet']
      : kind === 'ferretdb'
        ? [
            '--handler=sqlite',
            `--sqlite-url=file:${path.resolve(options.dataDir)}/`,
            `--listen-addr=${listen}`,
            '--telemetry=disable',
            '--state-dir=-',
            '--debug-addr=-',
            '--log-level=warn',
          ]
        : ['-listen-addr', listen, '-sqlite-dir', options.dataDir, '-log-level', 'warn', '-exit-on-stdin-close'];
  const proc = ManagedProcess.start({
    name: kind === 'mongod' ? 'mongod' : 'FerretDB',
    command: binary,
    args,
    logFile: options.logFile,
    env: { ...process.env, DO_NOT_TRACK: '1' },
    keepStdinOpen: kind === 'imex-ferretdb',
  });
  const url = `mongodb://${listen}/?directConnection=true`;
  try {
    await waitUntilPingAnswers(url, proc, options.startTimeoutMs);
  } catch (err) {
    await proc.stop(2000);
    throw err;
  }
  return { url, process: proc };
}

/** Healthy means: `ping` answers. */
export async function waitUntilPingAnswers(url: string, proc?: ManagedProcess, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `the MongoDB server at ${url} to answer ping`,
    async () => {
      if (proc?.hasExited) throw new StackError(proc.describeExit());
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
      try {
        await client.db('admin').command({ ping: 1 });
        return true;
      } finally {
        await client.close().catch(() => undefined);
      }
    },
    { timeoutMs, intervalMs: 200 },
  );
}
