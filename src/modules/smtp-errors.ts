/**
 * SMTP failures in Make's categories (nodemailer's errors carry a `code` and, when the server
 * answered, its `responseCode`):
 *
 * - refused credentials (EAUTH, 530/534/535) → InvalidAccessTokenError: a person fixes the
 *   connection, retrying will not;
 * - TLS failures → InvalidConfigurationError;
 * - a temporary refusal (4xx: 421 service not available, 450/451 try later, 452 no space now) and
 *   a server that cannot be reached, drops the connection or times out → ConnectionError, retried;
 * - a permanent refusal of a recipient or the sender (5xx on the envelope) or a message too large
 *   (552) → DataError: the bundle's data must change;
 * - any other permanent refusal (5xx) → RuntimeError.
 *
 * Messages are nodemailer's and the server's text; they hold no password (the connection URL is
 * never part of them).
 */
import { ModuleError, type ErrorCategory } from '../domain';

const authCodes = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2']);
const authResponses = new Set([530, 534, 535]);
const tlsCodes = new Set(['ETLS', 'EREQUIRETLS']);
const connectionCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROXY']);
const dataCodes = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS']);

interface SmtpErrorLike {
  code?: unknown;
  responseCode?: unknown;
  message?: unknown;
}

export function smtpErrorCategory(error: unknown): ErrorCategory | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, responseCode } = error as SmtpErrorLike;
  const rc = typeof responseCode === 'number' ? responseCode : undefined;
  const c = typeof code === 'string' ? code : undefined;
  if ((c && authCodes.has(c)) || (rc !== undefined && authResponses.has(rc))) return 'InvalidAccessTokenError';
  if (c && tlsCodes.has(c)) return 'InvalidConfigurationError';
  if (rc !== undefined && rc >= 400 && rc < 500) return 'ConnectionError';
  if (rc !== undefined && rc >= 500) return c === 'EENVELOPE' || rc === 552 ? 'DataError' : 'RuntimeError';
  if (c && connectionCodes.has(c)) return 'ConnectionError';
  if (c && dataCodes.has(c)) return 'DataError';
  return undefined;
}

/** A ModuleError for an SMTP failure; undefined lets the default classifier decide. */
export function classifySmtpError(error: unknown): ModuleError | undefined {
  const category = smtpErrorCategory(error);
  if (!category) return undefined;
  const { code, responseCode, message } = error as SmtpErrorLike;
  return new ModuleError(category, typeof message === 'string' && message ? message : 'SMTP error', {
    details: {
      ...(typeof code === 'string' ? { code } : {}),
      ...(typeof responseCode === 'number' ? { responseCode } : {}),
    },
    cause: error,
  });
}
