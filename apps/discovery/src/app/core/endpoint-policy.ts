/**
 * The endpoint policy of announcements (PROTOCOL.md section 2). Security critical: an
 * announcement names URLs that this daemon and the adapter will later POST to, so a hostile
 * one could otherwise make us call our own loopback services, the cloud metadata endpoint
 * or the private network (SSRF).
 *
 * No I/O here. The DNS lookup belongs to the service, which must resolve *all* A and AAAA
 * records of each endpoint host (`dns.lookup(host, { all: true })`, no family filter) and
 * pass every address in: one private address among public ones is enough to refuse. The
 * service should also connect to the addresses it checked rather than resolve again at
 * request time, or a rebinding DNS server can answer differently the second time.
 */
import { BlockList, isIP } from 'node:net';
import { isValidServerId } from '@pager/protocol';

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

export type EndpointCheck = { ok: true } | { ok: false; reason: string };

export const MAX_ENDPOINT_URL_LENGTH = 2048;

/** The endpoints an announcement must carry, both checked. */
export const ANNOUNCEMENT_ENDPOINTS = ['federation', 'discovery'] as const;

/** Address classes development mode (ALLOW_PRIVATE_ENDPOINTS) accepts besides public. */
const DEV_MODE_CLASSES: ReadonlySet<IpClass> = new Set<IpClass>([
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
 * compatible, NAT64, 6to4) are handled before these, by classifying the embedded address.
 */
const IPV6_RANGES: readonly (readonly [IpClass, readonly Range[]])[] = [
  ['unique_local', [['fc00::', 7]]],
  ['link_local', [['fe80::', 10]]],
  // Deprecated site-local (RFC 3879): private in all but name.
  [
    'private',
    [
      ['fec0::', 10],
      ['64:ff9b:1::', 48],
    ],
  ],
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

function classifyIpv6(ip: string): IpClass {
  const g = ipv6Groups(ip);
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);

  if (zeros(0, 8)) return 'unspecified';
  if (zeros(0, 7) && g[7] === 1) return 'loopback';
  // IPv4-mapped ::ffff:a.b.c.d: the socket talks IPv4 to the embedded address.
  if (zeros(0, 5) && g[5] === 0xffff) return classifyIpv4(ipv4FromGroups(g[6], g[7]));
  // IPv4-translated ::ffff:0:a.b.c.d (SIIT).
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) {
    return classifyIpv4(ipv4FromGroups(g[6], g[7]));
  }
  // IPv4-compatible ::a.b.c.d: deprecated (RFC 4291), never a legitimate endpoint.
  if (zeros(0, 6)) return classifyEmbedded(ipv4FromGroups(g[6], g[7]), 'reserved');
  // NAT64 well-known prefix 64:ff9b::/96: an IPv6-only host with DNS64 sees every IPv4
  // server this way, so a public embedded address is public.
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) {
    return classifyEmbedded(ipv4FromGroups(g[6], g[7]), 'public');
  }
  // 6to4 2002:a.b.c.d::/48: routed through the embedded IPv4 address.
  if (g[0] === 0x2002) return classifyEmbedded(ipv4FromGroups(g[1], g[2]), 'public');

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

export interface EndpointUrlInput {
  url: string;
  /** The announcing server; the URL host must be it or a subdomain of it (strict mode). */
  serverId: string;
  /** Every A and AAAA address of the URL host; each one must pass. */
  resolvedAddresses: readonly string[];
  /** ALLOW_PRIVATE_ENDPOINTS: development mode. */
  allowPrivate: boolean;
}

const refuse = (reason: string): EndpointCheck => ({ ok: false, reason });

/**
 * The host of an endpoint URL as the service should resolve it: lowercase, IPv6 brackets
 * stripped; null when the URL does not parse.
 */
export function endpointHostname(url: string): string | null {
  try {
    return stripBrackets(new URL(url).hostname);
  } catch {
    return null;
  }
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * True when the raw URL has an `@` in its authority. The WHATWG parser would move
 * `user:pw@` into username/password, but `https://@host` leaves both empty; we refuse any
 * userinfo marker, since a peer has no reason to send one and some clients read it
 * differently. For http(s) a backslash ends the authority like a slash.
 */
function hasUserinfoMarker(url: string): boolean {
  const afterScheme = url.indexOf('//');
  if (afterScheme < 0) return false;
  const authority = url.slice(afterScheme + 2).split(/[/\\?#]/, 1)[0];
  return authority.includes('@');
}

/**
 * Checks one endpoint URL of an announcement.
 *
 * Strict mode (the default): valid URL of at most 2048 characters, `https`, no userinfo,
 * host equal to `serverId` or ending with `.` + serverId (a label boundary, so
 * `evil-mirah.example.com` is no subdomain of `mirah.example.com`), an IP literal never
 * satisfies the host rule, and every resolved address is public.
 *
 * Development mode: `http` or `https`, the host rule is waived, and addresses may be
 * loopback, private or unique-local too. Link-local (the cloud metadata endpoint lives at
 * 169.254.169.254), multicast, unspecified and reserved addresses stay refused even then:
 * no local test needs them.
 *
 * An IP-literal host is checked as its own resolved address (the service need not look it
 * up); a name must come with at least one address.
 */
export function checkEndpointUrl(input: EndpointUrlInput): EndpointCheck {
  const { url, serverId, allowPrivate } = input;
  if (typeof url !== 'string') return refuse('endpoint is not a string');
  if (url.length > MAX_ENDPOINT_URL_LENGTH) {
    return refuse(`endpoint URL longer than ${MAX_ENDPOINT_URL_LENGTH} characters`);
  }
  // WHATWG parsing silently drops tabs/newlines and trims spaces and controls; a signed URL
  // must mean exactly what it says, so any of them is refused.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(url)) {
    return refuse('endpoint URL contains whitespace or control characters');
  }

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse('endpoint is not a valid URL');
  }

  const allowedSchemes = allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!allowedSchemes.includes(parsed.protocol)) {
    return refuse(
      allowPrivate ? 'endpoint scheme must be http or https' : 'endpoint scheme must be https',
    );
  }
  if (parsed.username !== '' || parsed.password !== '' || hasUserinfoMarker(url)) {
    return refuse('endpoint URL must not contain user information');
  }
  if (parsed.port === '0') return refuse('endpoint port 0 is not a port');

  const host = stripBrackets(parsed.hostname.toLowerCase());
  const ipLiteral = isIP(host) !== 0;

  if (!allowPrivate) {
    if (!isValidServerId(serverId)) return refuse('server_id is not a valid DNS name');
    if (ipLiteral) {
      const ipClass = classifyIp(host);
      return refuse(
        ipClass === 'public'
          ? 'endpoint host must be a DNS name, not an IP address'
          : `endpoint host ${host} is a ${ipClass} address`,
      );
    }
    if (host !== serverId && !host.endsWith(`.${serverId}`)) {
      return refuse(`endpoint host ${host} is neither ${serverId} nor a subdomain of it`);
    }
  }

  const addresses = ipLiteral ? [host, ...input.resolvedAddresses] : [...input.resolvedAddresses];
  if (addresses.length === 0) return refuse(`endpoint host ${host} did not resolve`);
  for (const address of addresses) {
    const ipClass = classifyIp(address);
    const allowed = allowPrivate ? DEV_MODE_CLASSES.has(ipClass) : ipClass === 'public';
    if (!allowed)
      return refuse(`endpoint host ${host} resolves to ${address}, a ${ipClass} address`);
  }
  return { ok: true };
}

export interface AnnouncementEndpointsInput {
  serverId: string;
  /** The announcement's `endpoints` member, unvalidated. */
  endpoints: unknown;
  /**
   * Resolved addresses by host, keyed as `endpointHostname` gives it. A host missing from
   * the map counts as unresolvable (IP literals need no entry).
   */
  resolved: ReadonlyMap<string, readonly string[]>;
  allowPrivate: boolean;
}

/** Applies `checkEndpointUrl` to both `federation` and `discovery`; the first refusal wins. */
export function checkAnnouncementEndpoints(input: AnnouncementEndpointsInput): EndpointCheck {
  const { endpoints } = input;
  if (typeof endpoints !== 'object' || endpoints === null || Array.isArray(endpoints)) {
    return refuse('endpoints must be an object');
  }
  for (const name of ANNOUNCEMENT_ENDPOINTS) {
    const url = (endpoints as Record<string, unknown>)[name];
    if (typeof url !== 'string') return refuse(`endpoints.${name} is missing`);
    const host = endpointHostname(url);
    const result = checkEndpointUrl({
      url,
      serverId: input.serverId,
      resolvedAddresses: host === null ? [] : (input.resolved.get(host) ?? []),
      allowPrivate: input.allowPrivate,
    });
    if (!result.ok) return refuse(`endpoints.${name}: ${result.reason}`);
  }
  return { ok: true };
}
