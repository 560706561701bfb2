/** The one structured logger: quiet by default in tests, JSON lines in production. */
import { trace } from '@opentelemetry/api';
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, name = 'imex', destination?: pino.DestinationStream): Logger {
  const options = { name, level, mixin: traceFields };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * JSON lines to `file` (created with its folder), and warnings and errors to stderr as well: a
 * terminal keeps its human lines readable and still shows what went wrong.
 */
export function fileWithWarningsOnStderr(file: string): pino.DestinationStream {
  return pino.multistream([
    { level: 'trace', stream: pino.destination({ dest: file, mkdir: true, sync: true }) },
    { level: 'warn', stream: process.stderr },
  ]);
}

/**
 * The trace and span of the code that logs, when tracing is on (observability/tracing.ts): every
 * line of a request, a run's activity or an IE's step can be found from its trace and back. With
 * tracing off there is no active span and this adds nothing.
 */
function traceFields(): { traceId?: string; spanId?: string } {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !trace.isSpanContextValid(context)) return {};
  return { traceId: context.traceId, spanId: context.spanId };
}
