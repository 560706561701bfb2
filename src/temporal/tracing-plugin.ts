/**
 * Temporal's OpenTelemetry interceptors for imex, used only when tracing is on (loaded lazily by
 * app.ts, so with tracing off none of this is even required):
 *
 * - client interceptors: starting, signalling, updating a workflow opens a span and carries the
 *   trace to the workflow in its headers (the API's and the worker's clients: a park's activity
 *   starts the IE's workflow in the run's trace);
 * - a worker plugin: workflow interceptors (bundled into the workflow code: imex's trace-context
 *   module first, then the SDK's), activity interceptors, and the sink through which the
 *   workflow sandbox hands its spans to the exporter.
 */
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import { SimplePlugin } from '@temporalio/plugin';
import type { InjectedSinks, ReplayWorkerOptions, WorkerOptions } from '@temporalio/worker';
import type { ImexTracing } from '../observability/tracing';

/** Workflow interceptor modules, in order (the outer first), for `bundleWorkflowCode` and the worker. */
export function tracingWorkflowInterceptorModules(): string[] {
  return [
    require.resolve('../../workflows/interceptors/trace-context'),
    require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
  ];
}

export function tracingClientInterceptors(tracing: ImexTracing): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] };
}

/**
 * Add after imex's plugin: `createImexWorker({ plugins: [createTracingPlugin(tracing)] })`. With a
 * prebuilt bundle, build it with `bundleImexWorkflows({ tracing: true })`: the SDK applies workflow
 * interceptor modules only when it bundles.
 */
export function createTracingPlugin(tracing: ImexTracing): SimplePlugin {
  return new TracingPlugin(tracing);
}

class TracingPlugin extends SimplePlugin {
  constructor(private readonly tracing: ImexTracing) {
    super({
      name: 'imex-tracing',
      workerInterceptors: {
        workflowModules: tracingWorkflowInterceptorModules(),
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
    });
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    return super.configureWorker({ ...options, sinks: { ...options.sinks, ...this.sinks() } });
  }

  override configureReplayWorker(options: ReplayWorkerOptions): ReplayWorkerOptions {
    return super.configureReplayWorker({ ...options, sinks: { ...options.sinks, ...this.sinks() } });
  }

  /** The workflow sandbox hands its spans to the batching processor through this sink. */
  private sinks(): InjectedSinks<OpenTelemetrySinks> {
    return { exporter: makeWorkflowExporter(this.tracing.spanProcessor, this.tracing.resource) };
  }
}
