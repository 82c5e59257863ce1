/**
 * The endpoint policy of announcements (docs/protocol.md §6). Security critical: an
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
import { isIP } from 'node:net';
import { classifyIp, isPermittedAddress, isValidServerId } from '@pager/protocol';

export type { IpClass } from '@pager/protocol';
export { classifyIp } from '@pager/protocol';

export type EndpointCheck = { ok: true } | { ok: false; reason: string };

export const MAX_ENDPOINT_URL_LENGTH = 2048;

/** The endpoints an announcement must carry, both checked. */
export const ANNOUNCEMENT_ENDPOINTS = ['federation', 'discovery'] as const;

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
    if (!isPermittedAddress(address, allowPrivate)) {
      return refuse(
        `endpoint host ${host} resolves to ${address}, a ${classifyIp(address)} address`,
      );
    }
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
