/**
 * Not a workflow: a workflow interceptor module, bundled only when tracing is on (before the
 * OpenTelemetry interceptors: see src/temporal/tracing-plugin.ts).
 *
 * A webhook's run is started by its scenario's coordinator, long after the request that queued
 * the payload, so the coordinator's own trace would be the run's parent. A run input that carries
 * the request's W3C `traceparent` is started inside that trace instead: the OpenTelemetry
 * interceptor below this one then opens the child's start span there and hands it to the run.
 * Nothing here adds a command; with an invalid or absent `traceparent` the call passes unchanged.
 */
import { context, trace, type SpanContext } from '@opentelemetry/api';
import type {
  Next,
  StartChildWorkflowExecutionInput,
  WorkflowInterceptors,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function spanContextOf(traceparent: unknown): SpanContext | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  const spanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
  return trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}

class RunTraceContextInterceptor implements WorkflowOutboundCallsInterceptor {
  startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ): ReturnType<Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>> {
    const [first] = (input.options.args ?? []) as { traceparent?: unknown }[];
    const spanContext = spanContextOf(first?.traceparent);
    if (!spanContext) return next(input);
    return context.with(trace.setSpanContext(context.active(), spanContext), () => next(input));
  }
}

export const interceptors = (): WorkflowInterceptors => ({
  outbound: [new RunTraceContextInterceptor()],
});
