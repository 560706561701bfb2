/**
 * The stack's own servers as the egress policy refuses them (egress-policy.ts): Temporal's
 * frontend and UI, MongoDB, the API and the metrics endpoints, from the addresses imex uses.
 */
import { createEgressPolicy, type EgressPolicy, type StackEndpoint } from './egress-policy';

/** One server named by `host:port` or a URL (`http://127.0.0.1:8233`); nothing when it names no port. */
export function stackEndpoint(name: string, hostPortOrUrl: string): StackEndpoint[] {
  try {
    const url = new URL(hostPortOrUrl.includes('://') ? hostPortOrUrl : `tcp://${hostPortOrUrl}`);
    const defaultPort = url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : 0;
    const port = Number(url.port) || defaultPort;
    return port ? [{ name, host: url.hostname.replace(/^\[|\]$/g, ''), port }] : [];
  } catch {
    return [];
  }
}

/** Every host of a `mongodb://` connection string (a replica set lists several); none for `mongodb+srv://`. */
export function mongoEndpoints(mongoUrl: string): StackEndpoint[] {
  const hosts = /^mongodb:\/\/(?:[^@/]*@)?([^/?]+)/.exec(mongoUrl)?.[1];
  if (!hosts) return [];
  return hosts.split(',').flatMap((host) => stackEndpoint('MongoDB', /:\d+$/.test(host) ? host : `${host}:27017`));
}

/** The servers of a stack, by the addresses imex was given or started them on. */
export function stackEndpoints(stack: {
  temporalAddress: string;
  temporalUiUrl?: string | undefined;
  mongoUrl: string;
  /** The API's (or a worker's operations server's) `host:port`. */
  apiAddress?: string;
  temporalMetricsAddress?: string;
}): StackEndpoint[] {
  return [
    ...stackEndpoint('Temporal frontend', stack.temporalAddress),
    ...(stack.temporalUiUrl ? stackEndpoint('Temporal UI', stack.temporalUiUrl) : []),
    ...mongoEndpoints(stack.mongoUrl),
    ...(stack.apiAddress ? stackEndpoint('API', stack.apiAddress) : []),
    ...(stack.temporalMetricsAddress ? stackEndpoint('Temporal SDK metrics', stack.temporalMetricsAddress) : []),
  ];
}

/**
 * Local development, tests and the benchmark serve their third parties on loopback: loopback is
 * allowed, explicitly, and the stack's own servers stay refused.
 */
export function loopbackEgressPolicy(
  stack: Parameters<typeof stackEndpoints>[0],
  more: StackEndpoint[] = [],
): Promise<EgressPolicy> {
  return createEgressPolicy({ allow: ['loopback'], stack: [...stackEndpoints(stack), ...more] });
}
