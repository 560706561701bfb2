/** The one structured logger: quiet by default in tests, JSON lines in production. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'imex'): Logger {
  return pino({ name, level });
}
