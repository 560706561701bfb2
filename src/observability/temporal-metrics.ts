/**
 * The Temporal SDK's worker metrics (the Core runtime's: task slots, poll and schedule-to-start
 * latencies, sticky cache, activity and workflow task outcomes) are served by the runtime itself
 * in Prometheus' format on its own address (`Runtime.install({ telemetryOptions: { metrics: {
 * prometheus: { bindAddress } } } })`, see temporal/runtime-logging.ts). imex's `/metrics` appends
 * them, so one scrape of the API gets both; Prometheus may also scrape the runtime's address.
 */
export interface TemporalMetricsSource {
  /** Where the runtime serves them, e.g. `127.0.0.1:9464`. */
  address: string;
  /** The runtime's exposition text ('' when it cannot be read: imex's own metrics are served anyway). */
  read(): Promise<string>;
}

export function temporalMetricsSource(address: string, timeoutMs = 2_000): TemporalMetricsSource {
  return {
    address,
    async read() {
      try {
        const response = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
        return response.ok ? await response.text() : '';
      } catch {
        return '';
      }
    },
  };
}
