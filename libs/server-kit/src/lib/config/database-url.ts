/**
 * DATABASE_URL checked before anything connects, and described without its password
 * (pure; no I/O). docs/operations.md, "DATABASE_URL".
 */

/** The parts of a PostgreSQL connection URL an operator needs to recognise it. */
export interface DatabaseUrlParts {
  /** `postgres` or `postgresql` (lowercase). */
  scheme: 'postgres' | 'postgresql';
  /** Percent-decoded user name; undefined when the URL names none (pg then uses PGUSER or the OS user). */
  user: string | undefined;
  /** Whether the URL carries a password (never kept here). */
  hasPassword: boolean;
  /**
   * Host as written (an IPv6 address without its brackets), or the socket directory of a
   * `?host=/run/postgresql` parameter when the authority names no host.
   */
  host: string;
  /** TCP port, 1 to 65535; undefined when absent (pg then uses 5432). */
  port: number | undefined;
  /** Percent-decoded database name, never empty. */
  database: string;
}

export type DatabaseUrlCheck =
  | { ok: true; parts: DatabaseUrlParts }
  /** `problem` completes "DATABASE_URL …" and never contains the password. */
  | { ok: false; problem: string };

/** pg's port when the URL names none. */
export const DEFAULT_POSTGRES_PORT = 5432;

const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const HOST_NAME_RE = /^[A-Za-z0-9._-]+$/;
const IPV6_RE = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9._~-]+)?$/;

/** A short, printable quote of a fragment for an error message (at most 40 characters). */
function quote(fragment: string): string {
  const printable = fragment.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 40 ? `${printable.slice(0, 40)}…` : printable);
}

/** What follows `scheme://`, split into the authority and the rest (from `/`, `?` or `#`). */
function splitAuthority(rest: string): { authority: string; after: string } {
  const end = rest.search(/[/?#]/);
  return end === -1
    ? { authority: rest, after: '' }
    : { authority: rest.slice(0, end), after: rest.slice(end) };
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Checks the form of a PostgreSQL connection URL:
 * `postgres[ql]://[user[:password]@]host[:port]/database[?params]`. Required: the scheme
 * `postgres://` or `postgresql://`, a host (a name, an IPv4 address or a bracketed IPv6 one;
 * or a socket directory given as `?host=/path`), a database name; optional: a port from 1 to
 * 65535. Whitespace or control characters anywhere, an empty or whitespace-only value, a
 * malformed percent-escape in the user, password or database name: refused. Parameters after
 * `?` are left to pg. Answers the parts, or the problem in words that never repeat the
 * password.
 */
export function checkDatabaseUrl(raw: string): DatabaseUrlCheck {
  const fail = (problem: string): DatabaseUrlCheck => ({ ok: false, problem });
  if (raw.trim() === '') return fail('is empty or only whitespace');
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(raw)) return fail('contains whitespace or control characters');
  const scheme = SCHEME_RE.exec(raw);
  if (scheme === null) return fail('must start with postgres:// or postgresql://');
  const schemeName = scheme[1].toLowerCase();
  if (schemeName !== 'postgres' && schemeName !== 'postgresql')
    return fail(`has the scheme ${quote(scheme[1])}; expected postgres:// or postgresql://`);
  const { authority, after: afterAuthority } = splitAuthority(raw.slice(scheme[0].length));
  if (afterAuthority.includes('#')) return fail('has a fragment (#…); remove it');

  const at = authority.lastIndexOf('@');
  const userInfo = at === -1 ? undefined : authority.slice(0, at);
  const hostPort = at === -1 ? authority : authority.slice(at + 1);
  let user: string | undefined;
  let hasPassword = false;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const rawUser = colon === -1 ? userInfo : userInfo.slice(0, colon);
    hasPassword = colon !== -1;
    const decodedUser = decode(rawUser);
    if (decodedUser === undefined) return fail('has a malformed percent-escape in the user name');
    if (hasPassword && decode(userInfo.slice(colon + 1)) === undefined)
      return fail('has a malformed percent-escape in the password');
    user = decodedUser === '' ? undefined : decodedUser;
  }

  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close === -1) return fail('has an IPv6 host without its closing "]"');
    host = hostPort.slice(1, close);
    if (!IPV6_RE.test(host)) return fail(`has an invalid IPv6 host ${quote(host)}`);
    const tail = hostPort.slice(close + 1);
    if (tail !== '' && !tail.startsWith(':'))
      return fail(`has ${quote(tail)} after the IPv6 host; expected :port`);
    portText = tail === '' ? undefined : tail.slice(1);
  } else {
    const colon = hostPort.indexOf(':');
    host = colon === -1 ? hostPort : hostPort.slice(0, colon);
    portText = colon === -1 ? undefined : hostPort.slice(colon + 1);
    if (host !== '' && !HOST_NAME_RE.test(host))
      return fail(
        `has an invalid host ${quote(host)} (one host name or address; lists are not supported)`,
      );
  }

  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535)
      return fail(`has the port ${quote(portText)}; expected a number from 1 to 65535`);
    port = Number(portText);
  }

  const queryStart = afterAuthority.indexOf('?');
  const path = queryStart === -1 ? afterAuthority : afterAuthority.slice(0, queryStart);
  const query = queryStart === -1 ? '' : afterAuthority.slice(queryStart + 1);
  if (host === '') {
    const socketDir = new URLSearchParams(query).get('host');
    if (socketDir === null || socketDir.trim() === '')
      return fail('names no host (postgres://user:password@HOST:5432/database)');
    host = socketDir;
  }
  const database = decode(path.replace(/^\//, ''));
  if (database === undefined) return fail('has a malformed percent-escape in the database name');
  if (database === '')
    return fail('names no database (postgres://user:password@host:5432/DATABASE)');
  return {
    ok: true,
    parts: { scheme: schemeName, user, hasPassword, host, port, database },
  };
}

/**
 * The URL as log lines and error messages may show it: `user:***@host:port/database`, the
 * password masked (`user@…` when there is none, no user part when the URL names no user), the
 * port pg will use (5432 when absent), an IPv6 host in brackets. Never the password.
 */
export function describeDatabaseUrl(parts: DatabaseUrlParts): string {
  const user = parts.user === undefined ? '' : `${parts.user}${parts.hasPassword ? ':***' : ''}@`;
  const host =
    parts.host.includes(':') && !parts.host.startsWith('/') ? `[${parts.host}]` : parts.host;
  return `${user}${host}:${parts.port ?? DEFAULT_POSTGRES_PORT}/${parts.database}`;
}

interface ConnectErrorLike {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

/**
 * Why a first connection to PostgreSQL failed, in an operator's words with the code pg or
 * Node gave: nothing listening (ECONNREFUSED), unknown host (ENOTFOUND, EAI_AGAIN),
 * unreachable network, no answer within the connect timeout, password or pg_hba refusal
 * (28P01, 28000), database missing (3D000), too many connections (53300), server starting
 * or stopping (57P03), TLS trouble. Anything else: the error's own message, cut at 300
 * characters. `secret`, when given, is replaced by `***` wherever it appears.
 */
export function describeConnectFailure(err: unknown, secret?: string): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ConnectErrorLike;
  // Node reports `localhost` (IPv6 and IPv4 tried) as an AggregateError of both refusals.
  const inner = Array.isArray(e.errors) ? (e.errors[0] as ConnectErrorLike | undefined) : undefined;
  const code =
    typeof e.code === 'string' ? e.code : typeof inner?.code === 'string' ? inner.code : '';
  const message =
    typeof e.message === 'string' && e.message !== ''
      ? e.message
      : typeof inner?.message === 'string'
        ? inner.message
        : String(err);
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused: nothing listens at that host and port (ECONNREFUSED)',
    ENOTFOUND: 'the host name does not resolve (ENOTFOUND)',
    EAI_AGAIN: 'the host name could not be resolved now (EAI_AGAIN)',
    EHOSTUNREACH: 'the host is unreachable (EHOSTUNREACH)',
    ENETUNREACH: 'the network is unreachable (ENETUNREACH)',
    ECONNRESET: 'the server closed the connection (ECONNRESET)',
    ETIMEDOUT: 'no answer within the connect timeout (ETIMEDOUT)',
    '28P01': 'authentication failed: wrong user name or password (28P01)',
    '28000':
      'authentication refused: no pg_hba.conf entry allows this user, host or database (28000)',
    '3D000': 'the database does not exist (3D000)',
    '53300': 'the server has too many connections (53300)',
    '57P03': 'the server is starting up or shutting down (57P03)',
  };
  let reason = known[code];
  if (reason === undefined && /timeout/i.test(message))
    reason = 'no answer within the connect timeout';
  if (reason === undefined && /ssl|tls|certificate/i.test(message)) reason = `TLS: ${message}`;
  reason ??= code !== '' && !message.includes(code) ? `${message} (${code})` : message;
  if (reason.length > 300) reason = `${reason.slice(0, 300)}…`;
  return secret !== undefined && secret !== '' ? reason.split(secret).join('***') : reason;
}

/** The password of a connection URL, decoded, for redaction; undefined when it has none. */
export function passwordOf(raw: string): string | undefined {
  const scheme = SCHEME_RE.exec(raw);
  if (scheme === null) return undefined;
  const { authority } = splitAuthority(raw.slice(scheme[0].length));
  const at = authority.lastIndexOf('@');
  if (at === -1) return undefined;
  const colon = authority.indexOf(':');
  if (colon === -1 || colon > at) return undefined;
  const password = authority.slice(colon + 1, at);
  return password === '' ? undefined : (decode(password) ?? password);
}
