/**
 * Installs the Temporal runtime for imex's process. Routes the SDK's own logs into imex's logger
 * and, given `metricsAddress`, serves the runtime's worker metrics there in Prometheus' format
 * (observability/temporal-metrics.ts appends them to imex's `/metrics`). A module failure is ordinary operation
 * here (the policy table handles it and imex records it), so the SDK speaks only at warn and
 * above unless imex itself is at debug or trace.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger';

let installed = false;

export function installTemporalLogging(log: Logger, options: { metricsAddress?: string } = {}): void {
  if (installed) return;
  installed = true;
  const verbose = log.level === 'debug' || log.level === 'trace';
  const sdkLevel: LogLevel = verbose ? 'DEBUG' : 'ERROR';
  const child = log.child({ component: 'temporal' });
  Runtime.install({
    // The application decides when to stop (API first, then the worker, then the servers).
    shutdownSignals: [],
    ...(options.metricsAddress
      ? {
          telemetryOptions: {
            // Durations in seconds, as Prometheus' conventions (and imex's own histograms) have them.
            metrics: { prometheus: { bindAddress: options.metricsAddress, useSecondsForDurations: true } },
          },
        }
      : {}),
    logger: new DefaultLogger(sdkLevel, (entry) => {
      const fields = entry.meta ?? {};
      const message = entry.message;
      if (entry.level === 'ERROR') child.error(fields, message);
      else if (entry.level === 'WARN') child.warn(fields, message);
      else child.debug(fields, message);
    }),
  });
}
