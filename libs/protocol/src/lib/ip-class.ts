/**
 * Classification of IP addresses for the endpoint policy (docs/protocol.md §6): which
 * addresses an announced endpoint may resolve to. Pure (node:net only, no DNS), shared by
 * the daemon's policy check and by the HTTP clients that re-check every address they
 * connect to, so that a rebinding DNS server cannot swap in a private address later.
 */
import { BlockList, isIP } from 'node:net';

export type IpClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'unique_local'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'invalid';

/** Address classes development mode (ALLOW_PRIVATE_ENDPOINTS) accepts besides public. */
export const DEV_MODE_CLASSES: ReadonlySet<IpClass> = new Set<IpClass>([
  'public',
  'loopback',
  'private',
  'unique_local',
]);

type Range = readonly [prefix: string, bits: number];

/**
 * IPv4 special-purpose ranges (IANA registry, RFC 6890 and successors). First match wins;
 * everything else is public.
 */
const IPV4_RANGES: readonly (readonly [IpClass, readonly Range[]])[] = [
  ['unspecified', [['0.0.0.0', 8]]],
  ['loopback', [['127.0.0.0', 8]]],
  [
    'private',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
      // Carrier-grade NAT (RFC 6598): not reachable from the internet, often the cluster's.
      ['100.64.0.0', 10],
    ],
  ],
  ['link_local', [['169.254.0.0', 16]]],
  ['multicast', [['224.0.0.0', 4]]],
  [
    'reserved',
    [
      ['192.0.0.0', 24], // IETF protocol assignments
      ['192.0.2.0', 24], // documentation (TEST-NET-1)
      ['198.51.100.0', 24], // documentation (TEST-NET-2)
      ['203.0.113.0', 24], // documentation (TEST-NET-3)
      ['192.88.99.0', 24], // deprecated 6to4 relay anycast
      ['198.18.0.0', 15], // benchmarking
      ['240.0.0.0', 4], // future use, 255.255.255.255 (broadcast) included
    ],
  ],
];

/**
 * IPv6 ranges that are not global unicast. Ranges that embed an IPv4 address (mapped,
 * translated, compatible, NAT64 well-known and local-use, 6to4, Teredo, ISATAP) are
 * handled before these, by classifying the embedded address.
 */
const IPV6_RANGES: readonly (readonly [IpClass, readonly Range[]])[] = [
  ['unique_local', [['fc00::', 7]]],
  ['link_local', [['fe80::', 10]]],
  // Deprecated site-local (RFC 3879): private in all but name.
  ['private', [['fec0::', 10]]],
  ['multicast', [['ff00::', 8]]],
  [
    'reserved',
    [
      ['100::', 64], // discard-only
      ['2001::', 23], // IETF protocol assignments: Teredo, benchmarking, ORCHID...
      ['2001:db8::', 32], // documentation
      ['3fff::', 20], // documentation (RFC 9637)
    ],
  ],
];

function buildLists(
  ranges: readonly (readonly [IpClass, readonly Range[]])[],
  family: 'ipv4' | 'ipv6',
): readonly (readonly [IpClass, BlockList])[] {
  return ranges.map(([ipClass, subnets]) => {
    const list = new BlockList();
    for (const [prefix, bits] of subnets) list.addSubnet(prefix, bits, family);
    return [ipClass, list] as const;
  });
}

const IPV4_LISTS = buildLists(IPV4_RANGES, 'ipv4');
const IPV6_LISTS = buildLists(IPV6_RANGES, 'ipv6');
const GLOBAL_UNICAST_V6 = buildLists([['public', [['2000::', 3]]]], 'ipv6')[0][1];

function classifyIpv4(ip: string): IpClass {
  for (const [ipClass, list] of IPV4_LISTS) if (list.check(ip, 'ipv4')) return ipClass;
  return 'public';
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted quad included). */
function ipv6Groups(ip: string): number[] {
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const lastPart = text.slice(lastColon + 1);
  if (lastPart.includes('.')) {
    const [a, b, c, d] = lastPart.split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    // Keep a "::" that the dotted quad followed; drop a single separating ":".
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => parseInt(group, 16));
  const [head, rest] = text.includes('::') ? text.split('::') : [text, ''];
  const left = parse(head);
  const right = parse(rest);
  const missing = 8 - tail.length - left.length - right.length;
  return [...left, ...new Array<number>(missing).fill(0), ...right, ...tail];
}

function ipv4FromGroups(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Non-public embedded addresses keep their class; a public one gets `whenPublic`. */
function classifyEmbedded(ipv4: string, whenPublic: IpClass): IpClass {
  const ipClass = classifyIpv4(ipv4);
  return ipClass === 'public' ? whenPublic : ipClass;
}

/** The most restrictive class of several: the first that is not public, else public. */
function worstOf(classes: readonly IpClass[]): IpClass {
  return classes.find((c) => c !== 'public') ?? 'public';
}

/**
 * The IPv4 addresses a local-use NAT64 address (64:ff9b:1::/48, RFC 8215) may embed. The
 * operator chooses the prefix length (/48, /56, /64 or /96; RFC 6052 section 2.2: bits 64-71
 * are zero and skipped, the bits after the IPv4 address are zero), so every layout whose
 * zero bits are zero in this address is read.
 */
function localUseNat64Candidates(g: readonly number[]): string[] {
  const byte = (i: number): number => (i % 2 === 0 ? g[i >> 1] >> 8 : g[i >> 1] & 0xff);
  const zeroFrom = (i: number): boolean => {
    for (let j = i; j < 16; j++) if (byte(j) !== 0) return false;
    return true;
  };
  const quad = (idx: readonly number[]): string => idx.map(byte).join('.');
  const layouts: [bytes: number[], zeroSuffixFrom: number][] = [
    [[6, 7, 9, 10], 11], // /48
    [[7, 9, 10, 11], 12], // /56
    [[9, 10, 11, 12], 13], // /64
  ];
  const readings = layouts
    .filter(([, from]) => byte(8) === 0 && zeroFrom(from))
    .map(([bytes]) => quad(bytes));
  return [...readings, quad([12, 13, 14, 15])]; // /96 always fits
}

function classifyIpv6(ip: string): IpClass {
  const g = ipv6Groups(ip);
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  const low32 = (): string => ipv4FromGroups(g[6], g[7]);

  if (zeros(0, 8)) return 'unspecified';
  if (zeros(0, 7) && g[7] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d: the socket talks IPv4 to the embedded address.
  if (zeros(0, 5) && g[5] === 0xffff) return classifyIpv4(low32());
  // IPv4-translated ::ffff:0:a.b.c.d (SIIT).
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return classifyIpv4(low32());
  // IPv4-compatible ::a.b.c.d: deprecated (RFC 4291), never a legitimate endpoint.
  if (zeros(0, 6)) return classifyEmbedded(low32(), 'reserved');
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): an IPv6-only host with DNS64 sees every
  // IPv4 server this way, so a public embedded address is public.
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return classifyEmbedded(low32(), 'public');
  // NAT64 local-use prefix 64:ff9b:1::/48 (RFC 8215): the translator reaches the embedded
  // address, wherever the operator's prefix length put it; every reading must be public.
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) {
    return worstOf(localUseNat64Candidates(g).map(classifyIpv4));
  }
  // 6to4 2002:a.b.c.d::/48 (RFC 3056): routed through the embedded IPv4 address.
  if (g[0] === 0x2002) return classifyEmbedded(ipv4FromGroups(g[1], g[2]), 'public');
  // Teredo 2001:0::/32 (RFC 4380): server IPv4 in bits 32-63, the client's IPv4 (where the
  // packets end up) in the last 32 bits, each bit inverted. Both must be public.
  if (g[0] === 0x2001 && g[1] === 0) {
    const client = ipv4FromGroups(~g[6] & 0xffff, ~g[7] & 0xffff);
    return worstOf([classifyIpv4(ipv4FromGroups(g[2], g[3])), classifyIpv4(client)]);
  }
  // ISATAP interface ids ::0:5efe:a.b.c.d / ::200:5efe:a.b.c.d (RFC 5214) in any prefix:
  // the tunnel ends at the embedded IPv4 address, so a non-public one decides.
  if ((g[4] === 0 || g[4] === 0x200) && g[5] === 0x5efe) {
    const embedded = classifyIpv4(low32());
    if (embedded !== 'public') return embedded;
  }

  for (const [ipClass, list] of IPV6_LISTS) if (list.check(ip, 'ipv6')) return ipClass;
  // Outside 2000::/3 nothing is allocated for unicast: refuse rather than guess.
  return GLOBAL_UNICAST_V6.check(ip, 'ipv6') ? 'public' : 'reserved';
}

/**
 * The class of an IP address, IPv4 or IPv6. Accepts brackets (`[::1]`) and ignores an IPv6
 * zone (`fe80::1%eth0`). Anything that is not a plain address (`127.1`, `0x7f.0.0.1`, a
 * host name) is 'invalid': WHATWG URL parsing has already turned numeric hosts into dotted
 * quads, and DNS answers are plain addresses.
 */
export function classifyIp(ip: string): IpClass {
  if (typeof ip !== 'string') return 'invalid';
  let address = ip.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone >= 0 && address.includes(':')) address = address.slice(0, zone);
  switch (isIP(address)) {
    case 4:
      return classifyIpv4(address);
    case 6:
      return classifyIpv6(address.toLowerCase());
    default:
      return 'invalid';
  }
}

/** Whether a resolved address may be connected to: public only, or dev mode's wider set. */
export function isPermittedAddress(ip: string, allowPrivate: boolean): boolean {
  const ipClass = classifyIp(ip);
  return allowPrivate ? DEV_MODE_CLASSES.has(ipClass) : ipClass === 'public';
}
