/**
 * Builds a Go program once per machine and caches the binary under `.imex/bin/`.
 *
 * A cold build takes many minutes on two cores, so it runs as a detached background process
 * that outlives whoever started it: if a 10-minute shell command or a CI step is cut short,
 * the build goes on, and the next caller waits for it instead of starting a second one (the
 * build folder is the lock). Progress (packages compiled, elapsed time) is printed while waiting.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './stack-error';

export interface GoBuild {
  /** Human name for progress lines, e.g. "Temporal CLI v1.5.1". */
  title: string;
  /** Unique per tool and version: names the cached binary and the build folder. */
  key: string;
  /** The binary name the build produces. */
  binaryName: string;
  /** go sub-command and its arguments; the binary must land in `outDir`. */
  goArgs: (outDir: string) => string[];
  /**
   * Shell commands run before the go command, in `cwd`, with `$GO` and `$WORK` (the build
   * folder, `outDir`'s parent) set; a failure fails the build. Their output goes to the log.
   */
  prepare?: string;
  /** Extra environment for the build, e.g. GOBIN for `go install`. */
  goEnv?: (outDir: string) => Record<string, string>;
  cwd?: string;
}

export interface GoBuildContext {
  go: string;
  binDir: string;
  buildDir: string;
  /** Where progress lines go; the default is stderr. */
  progress?: (line: string) => void;
  progressEveryMs?: number;
}

/** The cached binary's path if it was built before. */
export function cachedGoBinary(build: GoBuild, ctx: Pick<GoBuildContext, 'binDir'>): string | undefined {
  const file = path.join(ctx.binDir, build.key, build.binaryName);
  return fs.existsSync(file) ? file : undefined;
}

export function goAvailable(go: string): boolean {
  const probe = spawnSync(go, ['version'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Returns the cached binary, building it (or waiting for a build under way) when missing. */
export async function ensureGoBinary(build: GoBuild, ctx: GoBuildContext): Promise<string> {
  const progress = ctx.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const finalDir = path.join(ctx.binDir, build.key);
  const finalFile = path.join(finalDir, build.binaryName);
  const work = path.join(ctx.buildDir, build.key);
  const pidFile = path.join(work, 'pid');
  const statusFile = path.join(work, 'status');
  const logFile = path.join(work, 'build.log');
  const started = Date.now();
  let announced = false;
  let lastProgress = 0;

  for (;;) {
    if (fs.existsSync(finalFile)) return finalFile;

    if (fs.existsSync(statusFile)) {
      const status = fs.readFileSync(statusFile, 'utf8').trim();
      const tail = readTail(logFile, 30);
      fs.rmSync(work, { recursive: true, force: true }); // the next call tries again
      throw new StackError(
        `Building ${build.title} with Go failed (exit ${status}). Last lines of the build log:\n${tail}`,
      );
    }

    const builderPid = readPid(pidFile);
    if (builderPid === undefined || !isAlive(builderPid)) {
      // No build running (or a stale one whose process died): start ours.
      fs.rmSync(work, { recursive: true, force: true });
      fs.mkdirSync(work, { recursive: true });
      startDetachedBuild(build, ctx, { work, finalDir, finalFile, pidFile, statusFile, logFile });
      if (!announced) {
        progress(
          `Building ${build.title} with Go (once per machine, cached in ${finalDir}; a cold build takes minutes). Log: ${logFile}`,
        );
        announced = true;
      }
    } else if (!announced) {
      progress(`Waiting for a build of ${build.title} already under way (pid ${builderPid}). Log: ${logFile}`);
      announced = true;
    }

    const now = Date.now();
    if (now - lastProgress >= (ctx.progressEveryMs ?? 15_000)) {
      lastProgress = now;
      const { packages, downloads } = countProgress(logFile);
      progress(
        `  ${build.title}: ${downloads} modules downloaded, ${packages} packages compiled, ${Math.round((now - started) / 1000)} s`,
      );
    }
    await sleep(500);
  }
}

function startDetachedBuild(
  build: GoBuild,
  ctx: GoBuildContext,
  files: { work: string; finalDir: string; finalFile: string; pidFile: string; statusFile: string; logFile: string },
): void {
  const outDir = path.join(files.work, 'out');
  fs.mkdirSync(outDir, { recursive: true });
  // The shell moves the binary into place only on success, so a cached file is always whole.
  const script = [
    `{ ${build.prepare ?? 'true'}
} > "$LOG" 2>&1`,
    'rc=$?',
    'if [ $rc -eq 0 ]; then "$GO" "$@" >> "$LOG" 2>&1; rc=$?; fi',
    'if [ $rc -eq 0 ]; then mkdir -p "$FINAL_DIR" && mv -f "$OUT/$BIN" "$FINAL_FILE.tmp" && mv -f "$FINAL_FILE.tmp" "$FINAL_FILE" || rc=97; fi',
    'if [ $rc -eq 0 ]; then rm -rf "$WORK"; else echo $rc > "$STATUS"; fi',
  ].join('\n');
  const child = spawn('sh', ['-c', script, 'go-build', ...build.goArgs(outDir)], {
    cwd: build.cwd,
    detached: true,
    stdio: 'ignore',
    env: {
      ...process.env,
      GOTOOLCHAIN: 'local',
      GOFLAGS: [process.env.GOFLAGS, '-buildvcs=false'].filter(Boolean).join(' '),
      CGO_ENABLED: '0',
      GO: ctx.go,
      LOG: files.logFile,
      OUT: outDir,
      BIN: build.binaryName,
      FINAL_DIR: files.finalDir,
      FINAL_FILE: files.finalFile,
      STATUS: files.statusFile,
      WORK: files.work,
      ...build.goEnv?.(outDir),
    },
  });
  fs.writeFileSync(files.pidFile, String(child.pid));
  child.unref();
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function countProgress(logFile: string): { packages: number; downloads: number } {
  let text = '';
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return { packages: 0, downloads: 0 };
  }
  let packages = 0;
  let downloads = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('go: downloading')) downloads++;
    else if (line.trim() && !line.startsWith('go:')) packages++;
  }
  return { packages, downloads };
}

function readTail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no build log)';
  }
}
