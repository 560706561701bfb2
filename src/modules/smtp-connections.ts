/**
 * SMTP connections the `email:ActionSendEmail` module sends through. They are the deployment's
 * configuration (`IMEX_SMTP_URL`, `IMEX_SMTP_CONNECTIONS`), never a blueprint's: a blueprint names a
 * connection (`parameters.account`, Make's connection reference), so the server's password never
 * travels in blueprints, IE documents, Temporal payloads or logs.
 *
 * A connection is an SMTP URL, `smtp://user:pass@host:587` (STARTTLS when offered) or
 * `smtps://user:pass@host:465` (TLS from the start), with an optional `?from=` sender used when the
 * mapper gives none. User and password are URL-encoded.
 */

export interface SmtpConnection {
  /** The name a blueprint's `account` uses. */
  name: string;
  /** The SMTP URL without `from` (holds the password: never log it). */
  url: string;
  /** The default sender, when the URL has `from=`. */
  from?: string;
}

/** A bad connection entry; names the connection, never the URL (it holds a password). */
export class SmtpConnectionFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmtpConnectionFormatError';
  }
}

/** The name `IMEX_SMTP_URL`'s connection has, and the one a blueprint without `account` uses. */
export const DEFAULT_SMTP_CONNECTION = 'default';
const namePattern = /^[A-Za-z0-9._-]{1,64}$/;

export function parseSmtpConnection(name: string, text: string): SmtpConnection {
  if (!namePattern.test(name))
    throw new SmtpConnectionFormatError(`connection name "${name}" must match ${namePattern}`);
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new SmtpConnectionFormatError(`connection "${name}" is not a URL (smtp://user:pass@host:port)`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new SmtpConnectionFormatError(`connection "${name}" must be an smtp:// or smtps:// URL`);
  }
  if (!url.hostname) throw new SmtpConnectionFormatError(`connection "${name}" has no host`);
  const from = url.searchParams.get('from') ?? undefined;
  url.searchParams.delete('from');
  return { name, url: url.toString(), ...(from ? { from } : {}) };
}

/**
 * The connections from the configuration: `defaultUrl` (`IMEX_SMTP_URL`) is named `default`;
 * `entries` (`IMEX_SMTP_CONNECTIONS`) holds `<name>=<url>` entries, separated by commas or new lines.
 */
export function parseSmtpConnections(defaultUrl?: string, entries?: string): Map<string, SmtpConnection> {
  const connections = new Map<string, SmtpConnection>();
  if (defaultUrl) connections.set(DEFAULT_SMTP_CONNECTION, parseSmtpConnection(DEFAULT_SMTP_CONNECTION, defaultUrl));
  const parts = (entries ?? '')
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('#'));
  for (const [index, entry] of parts.entries()) {
    const separator = entry.indexOf('=');
    if (separator <= 0) throw new SmtpConnectionFormatError(`entry ${index + 1} is not "<name>=<smtp url>"`);
    const name = entry.slice(0, separator).trim();
    if (connections.has(name)) throw new SmtpConnectionFormatError(`connection "${name}" is given twice`);
    connections.set(name, parseSmtpConnection(name, entry.slice(separator + 1)));
  }
  return connections;
}
