/**
 * What every `imex` command shares: the configuration, output (tables for people, `--json` for
 * scripts), errors with meaningful exit codes, the store (admin commands) and the API (the rest).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig, type ImexConfig } from '../config';
import { LOCAL_KEY_FILE, loadKeyring } from '../crypto/load-keyring';
import { imexPaths } from '../stack/paths';
import { openStore, type Store } from '../store';

/** Exit codes, documented in docs/cli.md. */
export const exitCodes = {
  ok: 0,
  /** Unexpected failures, the API or the store unreachable, 5xx. */
  failure: 1,
  /** Bad usage or input: unknown option, invalid file, 400. */
  usage: 2,
  /** No token, a bad token or a missing scope: 401, 403. */
  auth: 3,
  /** 404: no such organization, scenario, token (or another organization's). */
  notFound: 4,
  /** The request was understood but refused in this state: 409, 406. */
  refused: 5,
} as const;

/** An error for the user: printed as `error: <message>` without a stack, exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = exitCodes.failure,
    /** Extra lines (e.g. one per bad field). */
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface GlobalOptions {
  json?: boolean;
  apiUrl?: string;
  token?: string;
  verbose?: boolean;
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export class CliContext {
  private configCache: ImexConfig | undefined;

  constructor(
    readonly command: Command,
    readonly output: Output,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  get options(): GlobalOptions {
    return this.command.optsWithGlobals<GlobalOptions>();
  }

  get config(): ImexConfig {
    if (!this.configCache) {
      try {
        this.configCache = loadConfig(this.env);
      } catch (error) {
        if (error instanceof ConfigError) throw new CliError(error.message, exitCodes.usage);
        throw error;
      }
    }
    return this.configCache;
  }

  /** Prints `value` as JSON with `--json`, else what `human` prints. */
  print(value: unknown, human: (out: (line: string) => void) => void): void {
    if (this.options.json) this.output.out(JSON.stringify(value, null, 2));
    else human(this.output.out);
  }

  /** With `--verbose`: one line on stderr (where the CLI talks to, never secrets), apart from the output. */
  verbose(line: string): void {
    if (this.options.verbose) this.output.err(`imex: ${line}`);
  }

  /** The store, closed when `use` finishes: admin commands talk to MongoDB directly. */
  async withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
    const { MONGO_URL, IMEX_MONGO_DB, IMEX_STORE_PORT } = this.config;
    // Unset: the store `npm start` runs locally, if it is up.
    const url = MONGO_URL ?? `mongodb://127.0.0.1:${IMEX_STORE_PORT}/`;
    // The keys imex encrypts stored user data with (docs/security.md): the same as the server's.
    // Configured keys, or the local key `npm start` generated; none: the store reads plaintext only.
    const dataDir = imexPaths(this.config.IMEX_HOME, this.config.IMEX_DATA_DIR).data;
    const configured = this.config.IMEX_ENCRYPTION_KEYS || this.config.IMEX_ENCRYPTION_KEY_FILE;
    let keyring;
    try {
      if (configured || fs.existsSync(path.join(dataDir, LOCAL_KEY_FILE)))
        ({ keyring } = loadKeyring(this.config, dataDir));
    } catch (error) {
      if (error instanceof ConfigError) throw new CliError(error.message, exitCodes.usage);
      throw error;
    }
    this.verbose(
      `store: ${MONGO_URL ? `MongoDB at ${redact(MONGO_URL)} (MONGO_URL)` : `the local imex store at ${url} (IMEX_STORE_PORT)`}, database ${IMEX_MONGO_DB}`,
    );
    let store: Store;
    try {
      store = await openStore(withTimeout(url), IMEX_MONGO_DB, { keyring });
    } catch (error) {
      const where = MONGO_URL
        ? `MongoDB at ${redact(MONGO_URL)}`
        : `a local imex store on 127.0.0.1:${IMEX_STORE_PORT}`;
      throw new CliError(
        `cannot reach ${where} (${(error as Error).message}): start imex with npm start, or set MONGO_URL`,
        exitCodes.failure,
      );
    }
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }
}

/** A CLI should fail within seconds, not the driver's 30 s, when nothing answers. */
function withTimeout(url: string): string {
  if (/serverSelectionTimeoutMS=/i.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}serverSelectionTimeoutMS=5000`;
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** `--org 3` and friends: a positive integer, or a usage error naming the option. */
export function positiveInt(name: string) {
  return (value: string): number => {
    if (!/^[1-9]\d{0,15}$/.test(value)) throw new CliError(`${name} must be a positive integer, got "${value}"`, 2);
    return Number(value);
  };
}

/** `--offset 0` and friends: a whole number, or a usage error naming the option. */
export function nonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^(0|[1-9]\d{0,15})$/.test(value)) throw new CliError(`${name} must be a whole number, got "${value}"`, 2);
    return Number(value);
  };
}

/** Plain aligned columns; empty lists say so. */
export function table(rows: Record<string, unknown>[], columns: string[], empty = '(none)'): string[] {
  if (rows.length === 0) return [empty];
  const cells = rows.map((row) => columns.map((column) => formatCell(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)];
}

function formatCell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** An incomplete execution id argument: 32 lowercase hex characters. */
export function ieId(value: string): string {
  if (!/^[0-9a-f]{32}$/.test(value))
    throw new CliError(`incomplete execution id must be 32 lowercase hex characters, got "${value}"`, exitCodes.usage);
  return value;
}
