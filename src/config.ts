/**
 * Every environment variable imex reads, in one place, validated with zod.
 *
 * Nothing else in the project reads `process.env`: a bad value fails at start with the variable's
 * name and the reason, instead of surfacing later as a confusing connection error.
 */
import path from 'node:path';
import { z } from 'zod';
import { durationSchema, MAKE_RUN_LIMIT_MS, makeRetrySchedule, retryScheduleSchema } from './domain';
import { allowableRanges, parseAllowedHost } from './egress/egress-policy';
import { parseSmtpConnections, SmtpConnectionFormatError } from './modules/smtp-connections';

const port = z.coerce.number().int().min(1).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .min(1)
    .refine((v) => protocols.some((p) => v.startsWith(p)), { message: `must start with ${protocols.join(' or ')}` })
    .optional();

const commaList = (value: string) =>
  value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** Project root: one level above `src/`. */
export const projectRoot = path.resolve(__dirname, '..');

export const envSchema = z.object({
  /** Where cached Go builds, dev-server state and logs live (git-ignored). */
  IMEX_HOME: z.string().min(1).default(path.join(projectRoot, '.imex')),
  /** Local state `npm start` keeps (dev-server database, store files, the local token); default `<IMEX_HOME>/data`. */
  IMEX_DATA_DIR: z.string().min(1).optional(),
  /** A Temporal frontend `host:port`. Unset: imex starts a local dev server. */
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** TLS to the Temporal frontend (Temporal Cloud and most clusters). */
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  IMEX_TASK_QUEUE: z.string().min(1).default('imex'),
  /** A MongoDB connection string. Unset: imex starts a local MongoDB wire-protocol server. */
  MONGO_URL: optionalUrl(['mongodb://', 'mongodb+srv://']),
  IMEX_MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'letters, digits, _ and - only')
    .default('imex'),
  /**
   * What this process runs: `all` (the worker, the API and, for a new user, the local stack and the
   * demo) or `worker` (a worker alone, next to servers and an API that run elsewhere; it serves only
   * `/metrics` and `/health/*` on IMEX_API_HOST:IMEX_API_PORT). docs/operations.md#scaling-out.
   */
  IMEX_ROLE: z.enum(['all', 'worker']).default('all'),
  IMEX_API_HOST: z.string().min(1).default('127.0.0.1'),
  IMEX_API_PORT: port.default(3000),
  /**
   * Requests with a missing or bad token one client IP may send per minute before the API answers
   * them 429 (docs/security.md#api-hardening); good tokens are never limited. 0: no limit.
   */
  IMEX_API_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(20),
  /** Where people reach the API and web page, for links in alert digests. Unset: http://IMEX_API_HOST:IMEX_API_PORT. */
  IMEX_PUBLIC_URL: optionalUrl(['http://', 'https://']),
  /** Where the `imex` CLI's API commands send requests. Unset: http://IMEX_API_HOST:IMEX_API_PORT. */
  IMEX_API_URL: optionalUrl(['http://', 'https://']),
  /** The API token the `imex` CLI's API commands send (`imex token create` prints one). */
  IMEX_TOKEN: z.string().trim().min(1).optional(),
  /** Ports of the local stack that `npm start` brings up when no external server is given. */
  IMEX_TEMPORAL_PORT: port.default(7233),
  IMEX_TEMPORAL_UI_PORT: port.default(8233),
  IMEX_STORE_PORT: port.default(27017),
  /** The incomplete executions' auto-retry schedule, e.g. `1m,10m,10m,30m` (Make's by default). */
  IMEX_RETRY_SCHEDULE: retryScheduleSchema.default([...makeRetrySchedule]),
  /**
   * Whether API tokens with `organizations:write` may change their own organization's IE storage
   * limit (`PATCH /organizations/{id}`). Off: the limit is the operator's (`imex org set-quota`), as
   * Make's is the plan's; turn it on where every token holder is an operator.
   */
  IMEX_API_QUOTA_WRITES: bool.default(false),
  /** `npm start` runs a demo scenario that parks an incomplete execution and resolves it. */
  IMEX_DEMO: bool.default(true),
  /** Days resolved incomplete executions (and tombstones of deleted ones) are kept before the purge. */
  IMEX_PURGE_AFTER_DAYS: z.coerce.number().positive().default(30),
  /** Webhook payloads that may wait per scenario before its hook answers 429 (Make's maximum; a scenario may set `imex.webhookQueueCap`). */
  IMEX_WEBHOOK_QUEUE_CAP: z.coerce.number().int().positive().default(10_000),
  /**
   * Longest run (`40m`, `90s` or ms; Make's 40 minutes by default; 0: none): past it a run ends with
   * the ExecutionInterruptedError warning. A scenario may set its own (`imex.runLimit`).
   */
  IMEX_RUN_LIMIT: durationSchema.default(MAKE_RUN_LIMIT_MS),
  /** Runs of one scenario at once (webhook payloads of a non-sequential scenario run in parallel up to this). */
  IMEX_SCENARIO_MAX_CONCURRENT_RUNS: z.coerce.number().int().positive().default(10),
  /**
   * Keys that encrypt Temporal payloads (docs/security.md): `<id>:<base64 of 32 bytes>`, comma
   * separated, the first one active. Unset (and no key file): `npm start` keeps a generated key in
   * `<IMEX_DATA_DIR>/encryption-keys`.
   */
  IMEX_ENCRYPTION_KEYS: z.string().trim().min(1).optional(),
  /** A file holding the keys in the same form, one per line (`#` comments); instead of IMEX_ENCRYPTION_KEYS. */
  IMEX_ENCRYPTION_KEY_FILE: z.string().trim().min(1).optional(),
  /**
   * The default SMTP connection of `email:ActionSendEmail` (docs/modules.md): `smtp://user:pass@host:587`
   * or `smtps://…:465`, optional `?from=` sender. A secret: never logged, never in blueprints.
   */
  IMEX_SMTP_URL: z.string().trim().min(1).optional(),
  /** Named SMTP connections a blueprint's `parameters.account` picks: `<name>=<smtp url>`, comma or newline separated. */
  IMEX_SMTP_CONNECTIONS: z.string().trim().min(1).optional(),
  /**
   * Browser origins allowed to call the codec server (`/codec/*`), comma separated: the Temporal
   * Web UI's. Unset: the local Web UI, `http://127.0.0.1:<IMEX_TEMPORAL_UI_PORT>` and `http://localhost:<…>`.
   */
  IMEX_CODEC_CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    )
    .refine((origins) => origins.every((o) => o === '*' || isOrigin(o)), {
      message: 'comma-separated origins such as http://127.0.0.1:8233 (scheme://host[:port], no path), or *',
    })
    .optional(),
  /**
   * Address ranges modules' requests, run callbacks and alert webhooks may reach besides public
   * addresses (docs/security.md#egress-policy): `loopback`, `link-local`, `private`, comma separated.
   * Unset: none. The stack's own servers stay refused whatever is allowed.
   */
  IMEX_EGRESS_ALLOW: z
    .string()
    .transform((v) => commaList(v))
    .pipe(z.array(z.enum(allowableRanges)))
    .default([]),
  /** Hosts allowed although their range is not: `host`, `host:port`, an IP or a CIDR block, comma separated. */
  IMEX_EGRESS_ALLOW_HOSTS: z
    .string()
    .transform((v) => commaList(v))
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        try {
          parseAllowedHost(entry);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }
    })
    .default([]),
  IMEX_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /**
   * A file imex's JSON log lines go to (warnings and errors are printed too). Unset: stdout, except
   * when stdout is a terminal (`npm start`), where they go to `<IMEX_HOME>/logs/imex.log`.
   */
  IMEX_LOG_FILE: z.string().min(1).optional(),
  /**
   * Where the Temporal SDK's runtime serves its Prometheus metrics (`host:port`); imex's `/metrics`
   * appends them. Unset: a free port on 127.0.0.1 (docs/operations.md).
   */
  IMEX_TEMPORAL_METRICS_ADDRESS: z
    .string()
    .trim()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464')
    .optional(),
  /** OTLP/HTTP endpoint traces are exported to (`http://collector:4318`); unset with the next: tracing is off. */
  IMEX_OTLP_ENDPOINT: optionalUrl(['http://', 'https://']),
  /** The OpenTelemetry standard variable, used when IMEX_OTLP_ENDPOINT is unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(['http://', 'https://']),
  /** The service name traces carry. */
  OTEL_SERVICE_NAME: z.string().min(1).default('imex'),
  /** The Go toolchain used to build the Temporal CLI and FerretDB when no binary is found. */
  IMEX_GO: z.string().min(1).default('go'),
});

export type ImexConfig = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the configuration; throws {@link ConfigError} naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ImexConfig {
  // An empty variable means "unset", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })),
    );
  }
  const config = result.data;
  if (Boolean(config.TEMPORAL_TLS_CERT_PATH) !== Boolean(config.TEMPORAL_TLS_KEY_PATH)) {
    throw new ConfigError([
      { variable: 'TEMPORAL_TLS_CERT_PATH', message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together' },
    ]);
  }
  if (config.IMEX_ENCRYPTION_KEYS && config.IMEX_ENCRYPTION_KEY_FILE) {
    throw new ConfigError([
      { variable: 'IMEX_ENCRYPTION_KEYS', message: 'set IMEX_ENCRYPTION_KEYS or IMEX_ENCRYPTION_KEY_FILE, not both' },
    ]);
  }
  if (config.IMEX_ROLE === 'worker') {
    // A worker alone joins servers that already run: starting a private stack would park runs
    // where no API or other worker sees them.
    const missing = (['TEMPORAL_ADDRESS', 'MONGO_URL'] as const).filter((name) => !config[name]);
    if (missing.length > 0) {
      throw new ConfigError(
        missing.map((variable) => ({
          variable,
          message: 'IMEX_ROLE=worker joins servers that already run: set TEMPORAL_ADDRESS and MONGO_URL',
        })),
      );
    }
  }
  try {
    parseSmtpConnections(config.IMEX_SMTP_URL, config.IMEX_SMTP_CONNECTIONS);
  } catch (err) {
    if (!(err instanceof SmtpConnectionFormatError)) throw err;
    throw new ConfigError([{ variable: 'IMEX_SMTP_URL / IMEX_SMTP_CONNECTIONS', message: err.message }]);
  }
  return config;
}

/** The names of every variable imex reads; the docker-compose test checks against it. */
export const configVariables = Object.keys(envSchema.shape) as (keyof ImexConfig)[];
