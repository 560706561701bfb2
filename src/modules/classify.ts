/**
 * The default error classifier: what an error a module did not categorise means to Make.
 *
 * Network failures are the service being unavailable (ConnectionError, auto-retried), a full
 * disk is OutOfSpaceError, bad data is DataError, and anything else is UnexpectedError — Make's
 * class for a module that broke in a way nobody foresaw. It parks the bundle for a person
 * rather than failing the run, so nothing is lost and nothing is retried blindly.
 */
import { ModuleError, type ErrorCategory } from '../domain';

/** Node/OS error codes meaning "the service could not be reached or dropped us". */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** TLS failures: retrying will not fix a certificate; a person must (or set rejectUnauthorized). */
const tlsCodes = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
]);

const spaceCodes = new Set(['ENOSPC', 'EDQUOT']);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** The error and its `cause` chain (fetch wraps socket errors in `TypeError: fetch failed`). */
function* causeChain(error: unknown): Generator<ErrorLike> {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    yield current as ErrorLike;
    current = (current as ErrorLike).cause;
  }
}

/** The category a low-level (socket, DNS, TLS, disk) error belongs to, if it is one. */
export function systemErrorCategory(error: unknown): ErrorCategory | undefined {
  for (const link of causeChain(error)) {
    const code = typeof link.code === 'string' ? link.code : undefined;
    if (code && connectionCodes.has(code)) return 'ConnectionError';
    if (code && tlsCodes.has(code)) return 'InvalidConfigurationError';
    if (code && spaceCodes.has(code)) return 'OutOfSpaceError';
    if (link.message === 'socket hang up') return 'ConnectionError';
  }
  return undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : `non-error thrown: ${safeString(error)}`;
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function classifyError(error: unknown): ModuleError {
  if (error instanceof ModuleError) return error;
  const first = [...causeChain(error)][0];
  const name = typeof first?.name === 'string' ? first.name : undefined;
  const code = typeof first?.code === 'string' ? first.code : undefined;
  const details = { ...(name ? { errorName: name } : {}), ...(code ? { code } : {}) };
  const options = { details, cause: error };

  const system = systemErrorCategory(error);
  if (system) return new ModuleError(system, messageOf(error), options);
  // AbortSignal.timeout() and friends: the module gave up waiting.
  if (name === 'TimeoutError') return new ModuleError('ModuleTimeoutError', messageOf(error), options);
  // JSON.parse and schema checks inside a module: the data is wrong, a person can fix it.
  if (name === 'SyntaxError' || name === 'ZodError') return new ModuleError('DataError', messageOf(error), options);
  return new ModuleError('UnexpectedError', messageOf(error), options);
}
