/**
 * OpenTelemetry tracing, on when an OTLP endpoint is configured (`IMEX_OTLP_ENDPOINT`, else the
 * standard `OTEL_EXPORTER_OTLP_ENDPOINT`) and off otherwise. Off costs nothing: the SDK's modules
 * are not even loaded, no interceptor is installed and the workflow bundle holds none.
 *
 * On: a tracer provider registered for the process (AsyncLocalStorage context, W3C trace
 * context), spans batched to the endpoint over OTLP/HTTP (JSON). The API's request spans, the
 * Temporal client, workflow and activity interceptors (temporal/tracing-plugin.ts) all use it.
 */
import type { Tracer } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface ImexTracing {
  tracer: Tracer;
  resource: Resource;
  /** The batching processor in front of the OTLP exporter (workflow spans join it from the worker's sink). */
  spanProcessor: SpanProcessor;
  /** Sends the spans still batched (tests; shutdown does it too). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL from the configuration, or undefined when tracing is off. */
export function otlpTracesUrl(config: {
  IMEX_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
}): string | undefined {
  const base = config.IMEX_OTLP_ENDPOINT ?? config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base) return undefined;
  // The standard's endpoint is a base URL; a full traces URL is taken as it is.
  return /\/v1\/traces\/?$/.test(base) ? base : `${base.replace(/\/+$/, '')}/v1/traces`;
}

export async function startTracing(options: {
  serviceName: string;
  /** The OTLP/HTTP traces URL (`otlpTracesUrl`). */
  url: string;
}): Promise<ImexTracing> {
  const [api, { NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { Resource }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const resource = new Resource({ 'service.name': options.serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: options.url }));
  const provider = new NodeTracerProvider({ resource });
  provider.addSpanProcessor(spanProcessor);
  provider.register();
  return {
    tracer: provider.getTracer('imex'),
    resource,
    spanProcessor,
    flush: () => provider.forceFlush(),
    shutdown: async () => {
      await provider.shutdown();
      // The globals go too: a later start in the same process (tests) registers afresh.
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    },
  };
}
