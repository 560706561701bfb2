/**
 * The CLI's HTTP client for the imex API: `IMEX_API_URL` (or `--api-url`) and `IMEX_TOKEN` (or
 * `--token`). API errors become CliErrors with the server's message, one line per bad field, and
 * an exit code by status.
 */
import { readLocalToken } from '../local-token';
import { imexPaths } from '../stack/paths';
import { CliError, exitCodes, type CliContext } from './context';

export const API_BASE_PATH = '/api/v2';

/** Accepts the server root or the API base (`…/api/v2`), as printed by `npm start`. */
export function apiBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith(API_BASE_PATH) ? trimmed : `${trimmed}${API_BASE_PATH}`;
}

export function exitCodeForStatus(status: number): number {
  if (status === 401 || status === 403) return exitCodes.auth;
  if (status === 404) return exitCodes.notFound;
  if (status === 409 || status === 406) return exitCodes.refused;
  if (status >= 400 && status < 500) return exitCodes.usage;
  return exitCodes.failure;
}

interface ErrorBody {
  message?: unknown;
  code?: unknown;
  detail?: unknown;
}

function detailLines(detail: unknown): string[] {
  if (Array.isArray(detail)) {
    return detail.map((item: { path?: unknown; message?: unknown }) =>
      item && typeof item === 'object' && typeof item.message === 'string'
        ? `  ${typeof item.path === 'string' && item.path ? `${item.path}: ` : ''}${item.message}`
        : `  ${JSON.stringify(item)}`,
    );
  }
  return [];
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** Per request: `idempotencyKey` is sent as `Idempotency-Key` (a request sent again is answered as the first). */
export interface ApiCallOptions {
  idempotencyKey?: string;
}

/** One request; answers any HTTP status (callers that handle some 4xx themselves use this). */
export async function apiCall(
  context: CliContext,
  method: string,
  path: string,
  body?: unknown,
  callOptions: ApiCallOptions = {},
): Promise<ApiAnswer> {
  const { options, config } = context;
  const remote = options.apiUrl ?? config.IMEX_API_URL;
  // Talking to the local `npm start`, the CLI uses the token it saved (never sent to another API).
  const token =
    options.token ??
    config.IMEX_TOKEN ??
    (remote ? undefined : readLocalToken(imexPaths(config.IMEX_HOME, config.IMEX_DATA_DIR).data));
  if (!token) {
    throw new CliError(
      'no API token: set IMEX_TOKEN or pass --token (imex token create prints one; npm start saves one the CLI uses for the local API)',
      exitCodes.auth,
    );
  }
  const base = apiBaseUrl(remote ?? `http://${config.IMEX_API_HOST}:${config.IMEX_API_PORT}`);
  const apiFrom = options.apiUrl ? '--api-url' : remote ? 'IMEX_API_URL' : 'IMEX_API_HOST/IMEX_API_PORT';
  const tokenFrom = options.token ? '--token' : config.IMEX_TOKEN ? 'IMEX_TOKEN' : "npm start's saved local token";
  context.verbose(`API: ${method} ${base}${path} (API from ${apiFrom}, token from ${tokenFrom})`);
  const headers: Record<string, string> = { authorization: `Token ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (callOptions.idempotencyKey !== undefined) headers['idempotency-key'] = callOptions.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(
      `cannot reach the imex API at ${base} (${cause?.code ?? cause?.message ?? (error as Error).message}): start imex with npm start, or set IMEX_API_URL`,
      exitCodes.failure,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed };
}

/** The error an API answer means for the CLI: the server's message, a line per bad field, an exit code. */
export function apiError(answer: ApiAnswer, hint?: string): CliError {
  const error = (answer.body ?? {}) as ErrorBody;
  const message = typeof error.message === 'string' ? error.message : `HTTP ${answer.status}`;
  const code = typeof error.code === 'string' ? ` [${error.code}]` : '';
  const details = detailLines(error.detail);
  if (hint) details.push(hint);
  return new CliError(`${message}${code}`, exitCodeForStatus(answer.status), details);
}

export async function apiRequest<T>(
  context: CliContext,
  method: string,
  path: string,
  body?: unknown,
  callOptions: ApiCallOptions = {},
): Promise<T> {
  const answer = await apiCall(context, method, path, body, callOptions);
  if (answer.status < 200 || answer.status >= 300) throw apiError(answer);
  return answer.body as T;
}
