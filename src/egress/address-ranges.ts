/**
 * Which kind of network an IP address belongs to, for the egress policy (egress-policy.ts):
 * the ranges a module's request must not reach unless the deployment allows them.
 */
import net from 'node:net';

/**
 * `loopback`: this machine (127/8, ::1, and 0.0.0.0/8 and :: which connect to it too);
 * `link-local`: 169.254/16 (cloud metadata at 169.254.169.254), fe80::/10;
 * `private`: RFC 1918, CGNAT 100.64/10, ULA fc00::/7; `reserved`: multicast, broadcast,
 * documentation and benchmark nets, never a service a module should call.
 */
export type AddressRange = 'loopback' | 'link-local' | 'private' | 'reserved';

const ranges: { range: AddressRange; subnets: [string, number, 'ipv4' | 'ipv6'][] }[] = [
  {
    range: 'loopback',
    subnets: [
      ['127.0.0.0', 8, 'ipv4'],
      ['0.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
      ['::', 128, 'ipv6'],
    ],
  },
  {
    range: 'link-local',
    subnets: [
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
    ],
  },
  {
    range: 'private',
    subnets: [
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
      ['100.64.0.0', 10, 'ipv4'],
      ['fc00::', 7, 'ipv6'],
    ],
  },
  {
    range: 'reserved',
    subnets: [
      ['192.0.0.0', 24, 'ipv4'],
      ['192.0.2.0', 24, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
      ['198.51.100.0', 24, 'ipv4'],
      ['203.0.113.0', 24, 'ipv4'],
      ['224.0.0.0', 4, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
      ['2001:db8::', 32, 'ipv6'],
    ],
  },
];

const blockLists = ranges.map(({ range, subnets }) => {
  const list = new net.BlockList();
  for (const [address, prefix, family] of subnets) list.addSubnet(address, prefix, family);
  return { range, list };
});

/**
 * The IPv4 address an IPv6 one carries: `::ffff:a.b.c.d` (mapped; also in hex form) and the
 * NAT64 prefix 64:ff9b::/96 reach the IPv4 host, so they are judged as it is.
 */
export function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1] && net.isIPv4(dotted[1])) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex?.[1] || !hex[2]) return undefined;
  const high = parseInt(hex[1], 16);
  const low = parseInt(hex[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** The address as the policy compares it: an IPv4 carried in IPv6 as its IPv4, IPv6 lower case. */
export function canonicalAddress(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '');
  return embeddedIpv4(bare) ?? bare.toLowerCase();
}

/** The range an address is in; undefined for a public address (or not an IP at all). */
export function addressRange(address: string): AddressRange | undefined {
  const canonical = canonicalAddress(address);
  const family = net.isIPv4(canonical) ? 'ipv4' : net.isIPv6(canonical) ? 'ipv6' : undefined;
  if (!family) return undefined;
  return blockLists.find(({ list }) => list.check(canonical, family))?.range;
}
