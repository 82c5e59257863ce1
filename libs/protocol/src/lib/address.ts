/** Usernames, applied after (ASCII) lowercasing. */
export const USERNAME_RE = /^[a-z0-9_]{3,20}$/;

const MAX_SERVER_ID_LENGTH = 253;
const DNS_LABEL_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// WHATWG URL parsing treats a host whose last label is a number (decimal, or 0x hex) as an
// IPv4 address: "127.1" and "2130706433" both become 127.0.0.1. Such a server id would let
// an announcement dodge the endpoint host rule, so it is no DNS name for us.
const NUMERIC_LABEL_RE = /^(?:[0-9]+|0x[0-9a-f]*)$/;

/**
 * A lowercase DNS name: labels of 1-63 [a-z0-9-] not starting or ending with "-", at most 253
 * characters, no trailing dot, single labels allowed. Uppercase is invalid rather than
 * normalised, because the server id is signed and compared byte for byte.
 */
export function isValidServerId(s: string): boolean {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_SERVER_ID_LENGTH) return false;
  const labels = s.split('.');
  if (!labels.every((label) => DNS_LABEL_RE.test(label))) return false;
  return !NUMERIC_LABEL_RE.test(labels[labels.length - 1]);
}

// Only ASCII letters fold: String#toLowerCase maps e.g. KELVIN SIGN (U+212A) to "k", which
// would let a look-alike address reach the same user.
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Parses `user@server_id` case-insensitively into its lowercase parts; null if invalid. */
export function parseAddress(s: string): { user: string; serverId: string } | null {
  if (typeof s !== 'string') return null;
  const parts = s.split('@');
  if (parts.length !== 2) return null;
  const user = asciiLower(parts[0]);
  const serverId = asciiLower(parts[1]);
  if (!USERNAME_RE.test(user) || !isValidServerId(serverId)) return null;
  return { user, serverId };
}

export function formatAddress(user: string, serverId: string): string {
  return `${user}@${serverId}`;
}

/** The (lowercase) server id of an address, or null if the address is invalid. */
export function domainOf(address: string): string | null {
  return parseAddress(address)?.serverId ?? null;
}
