/**
 * Where imex's outbound requests on a user's behalf may go (docs/security.md#egress-policy):
 * modules' HTTP requests, run callbacks and alert webhooks. A scenario must not reach into the
 * platform: by default loopback, link-local (cloud metadata), private and reserved addresses are
 * refused, and the stack's own servers (Temporal frontend and UI, the API, MongoDB) are refused
 * whatever is allowed.
 *
 * The check is on the address the connection goes to: names are resolved by the policy's own
 * `lookup`, which hands the connection only addresses it accepted (no second resolution between
 * check and connect), and every redirect is a new connection, checked again.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import { addressRange, canonicalAddress, type AddressRange } from './address-ranges';

/** Ranges a deployment may open (`IMEX_EGRESS_ALLOW`); `reserved` stays closed. */
export const allowableRanges = ['loopback', 'link-local', 'private'] as const;
export type AllowableRange = (typeof allowableRanges)[number];

/** One of the stack's own servers: refused on its port, even when its range is allowed. */
export interface StackEndpoint {
  /** What it is, for the error message: "Temporal UI", "the imex API". */
  name: string;
  host: string;
  port: number;
}

export interface EgressPolicyOptions {
  allow?: readonly AllowableRange[];
  /** `IMEX_EGRESS_ALLOW_HOSTS` entries: `host`, `host:port`, an IP (`[v6]:port`), or a CIDR block. */
  allowHosts?: readonly string[];
  stack?: readonly StackEndpoint[];
}

/** A request the policy refused: the host asked for, the address it resolved to, and the rule. */
export class EgressRefusedError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly address: string,
    readonly rule: string,
  ) {
    super(`the egress policy refuses ${host}:${port} (address ${address}): ${rule}`);
    this.name = 'EgressRefusedError';
  }
}

type AllowedHost = { kind: 'host'; host: string; port?: number } | { kind: 'block'; list: net.BlockList };

/** Parses one `IMEX_EGRESS_ALLOW_HOSTS` entry; throws with the reason when it is malformed. */
export function parseAllowedHost(entry: string): AllowedHost {
  const text = entry.trim().toLowerCase();
  const cidr = /^([0-9a-f:.]+)\/(\d{1,3})$/.exec(text);
  if (cidr?.[1] && cidr[2]) {
    const family = net.isIPv4(cidr[1]) ? 'ipv4' : net.isIPv6(cidr[1]) ? 'ipv6' : undefined;
    const prefix = Number(cidr[2]);
    if (!family || prefix > (family === 'ipv4' ? 32 : 128)) throw new Error(`"${entry}" is not a CIDR block`);
    const list = new net.BlockList();
    list.addSubnet(cidr[1], prefix, family);
    return { kind: 'block', list };
  }
  const withPort = /^(\[[0-9a-f:.]+\]|[^:[\]\s/]+):(\d{1,5})$/.exec(text);
  const host = (withPort?.[1] ?? text).replace(/^\[|\]$/g, '');
  if (host === '' || /[\s/@]/.test(host) || (host.includes(':') && !net.isIPv6(host))) {
    throw new Error(`"${entry}" is not a host, host:port, IP or CIDR block`);
  }
  const port = withPort?.[2] === undefined ? undefined : Number(withPort[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`"${entry}" has no valid port`);
  return { kind: 'host', host: net.isIP(host) ? canonicalAddress(host) : host, ...(port ? { port } : {}) };
}

interface ResolvedStackEndpoint extends StackEndpoint {
  /** Its addresses (canonical); for a local server, any address of this machine is its address. */
  addresses: Set<string>;
  local: boolean;
}

export class EgressPolicy {
  private readonly allow: ReadonlySet<AddressRange>;
  private readonly allowHosts: AllowedHost[];
  private readonly stack: ResolvedStackEndpoint[];
  private readonly ownAddresses: ReadonlySet<string>;
  /** Connections are pooled per policy: a socket another policy accepted is never reused here. */
  readonly agents: { http: http.Agent; https: https.Agent };

  /** Stack hosts given by name are compared by name only; {@link createEgressPolicy} resolves them too. */
  constructor(options: EgressPolicyOptions = {}, stackAddresses: ReadonlyMap<string, string[]> = new Map()) {
    this.allow = new Set(options.allow ?? []);
    this.allowHosts = (options.allowHosts ?? []).map(parseAllowedHost);
    this.ownAddresses = new Set(
      Object.values(os.networkInterfaces())
        .flat()
        .map((i) => canonicalAddress(i?.address ?? '')),
    );
    this.stack = (options.stack ?? []).map((endpoint) => {
      const host = canonicalAddress(endpoint.host);
      const addresses = new Set([host, ...(stackAddresses.get(endpoint.host) ?? []).map(canonicalAddress)]);
      return { ...endpoint, addresses, local: host === 'localhost' || [...addresses].some((a) => this.isLocal(a)) };
    });
    this.agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  }

  /** Why a connection to `address` for `host:port` is refused; undefined when it may go. */
  refusal(host: string, port: number, address: string): EgressRefusedError | undefined {
    const canonical = canonicalAddress(address);
    const name = canonicalAddress(host);
    const own = this.stack.find(
      (s) =>
        s.port === port &&
        (s.addresses.has(canonical) || s.addresses.has(name) || (s.local && this.isLocal(canonical))),
    );
    if (own) {
      return new EgressRefusedError(host, port, canonical, `it is imex's own ${own.name}, refused whatever is allowed`);
    }
    const range = addressRange(canonical);
    if (range === undefined || this.allow.has(range) || this.allowedHost(name, port, canonical)) return undefined;
    const how =
      range === 'reserved'
        ? 'a reserved address, never allowed'
        : `a ${range} address; allow it with IMEX_EGRESS_ALLOW=${range} or IMEX_EGRESS_ALLOW_HOSTS`;
    return new EgressRefusedError(host, port, canonical, how);
  }

  /**
   * A `lookup` for one request to `port`: resolves as Node would, then passes on only the
   * addresses the policy accepts, or fails with the refusal of the first one.
   */
  lookupFor(port: number): net.LookupFunction {
    return (hostname, options, callback) => {
      dns.lookup(hostname, { family: options.family ?? 0, hints: options.hints ?? 0, all: true }, (error, found) => {
        if (error) return callback(error, '', 0);
        const accepted = found.filter((a) => this.refusal(hostname, port, a.address) === undefined);
        const first = found[0];
        if (accepted.length === 0 || !first) {
          const refused =
            (first && this.refusal(hostname, port, first.address)) ??
            new EgressRefusedError(hostname, port, '(none)', 'the name resolved to no address');
          return callback(refused as NodeJS.ErrnoException, '', 0);
        }
        if (options.all) return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, accepted);
        const chosen = accepted[0] as dns.LookupAddress;
        callback(null, chosen.address, chosen.family);
      });
    };
  }

  /** Closes pooled connections (a worker's shutdown). */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private isLocal(address: string): boolean {
    return addressRange(address) === 'loopback' || this.ownAddresses.has(address);
  }

  private allowedHost(name: string, port: number, address: string): boolean {
    return this.allowHosts.some((entry) =>
      entry.kind === 'block'
        ? entry.list.check(address, net.isIPv4(address) ? 'ipv4' : 'ipv6')
        : (entry.host === name || entry.host === address) && (entry.port === undefined || entry.port === port),
    );
  }
}

/** A policy whose stack hosts given by name (`temporal:7233` under docker compose) are resolved once. */
export async function createEgressPolicy(options: EgressPolicyOptions): Promise<EgressPolicy> {
  const named = [
    ...new Set((options.stack ?? []).map((s) => s.host).filter((h) => net.isIP(h.replace(/^\[|\]$/g, '')) === 0)),
  ];
  const resolved = await Promise.all(
    named.map(async (host) => {
      const found = await dns.promises.lookup(host, { all: true }).catch(() => []);
      return [host, found.map((a) => a.address)] as const;
    }),
  );
  return new EgressPolicy(options, new Map(resolved));
}
