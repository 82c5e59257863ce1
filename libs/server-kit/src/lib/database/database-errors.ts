/**
 * What a failed database call means for the caller (pure; no I/O):
 * - `unavailable`: the database cannot serve now (down, restarting, refusing connections,
 *   pool exhausted, statement timed out, failing over). Answered `503 service_unavailable`
 *   with `Retry-After`, so that clients and sending servers retry (SERVICES.md, errors).
 * - `invalid_input`: PostgreSQL refused a value that came from the request (U+0000, text it
 *   cannot encode, a malformed uuid or number). Answered `400 validation_failed`; a safety
 *   net behind the edge validation of each route, never the first line.
 * - `undefined`: not a database condition we can name; the caller treats it as a bug (500).
 */
export type DatabaseErrorKind = 'unavailable' | 'invalid_input';

/**
 * SQLSTATEs meaning "the database cannot serve this now, try again" (PostgreSQL, Appendix A):
 * class 08 (connection exception), 53 (insufficient resources: too many connections, out of
 * memory, disk full), 57P01–57P05 (shutdown, crash, cannot connect now, idle session
 * timeout), 57014 (statement timeout / cancel), 55P03 (lock timeout), 40001/40P01
 * (serialization failure, deadlock: retryable by definition), 25006 (read-only transaction:
 * a replica after a failover), 58000/58030 (system / I/O error).
 */
const UNAVAILABLE_STATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '57P04',
  '57P05',
  '57014',
  '55P03',
  '40001',
  '40P01',
  '25006',
  '58000',
  '58030',
]);
const UNAVAILABLE_CLASSES = new Set(['08', '53']);

/**
 * SQLSTATEs for a value PostgreSQL refuses: 22P05 untranslatable character (U+0000 in
 * text/jsonb), 22021 character not in repertoire (invalid UTF-8), 22P02 invalid text
 * representation (e.g. "abc" as a uuid), 22001 string too long, 22003 numeric out of range,
 * 22007/22008 bad or overflowing datetime, 2200N/2200M invalid XML, 22025 invalid escape.
 */
const INVALID_INPUT_STATES = new Set([
  '22P05',
  '22021',
  '22P02',
  '22001',
  '22003',
  '22007',
  '22008',
  '22025',
]);

/** Node socket errors on the way to the database (or any other dependency). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Messages of node-postgres (pg, pg-pool) and TypeORM that carry no SQLSTATE: the pool
 * waited `connectionTimeoutMillis` for a free client ("timeout exceeded when trying to
 * connect"), the server closed the socket, TypeORM has no connection or lost the one of a
 * transaction (QueryRunnerProviderAlreadyReleasedError).
 */
const UNAVAILABLE_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /connection timeout/i,
  /query read timeout/i,
  /client has encountered a connection error/i,
  /client was closed and is not queryable/i,
  /cannot use a pool after calling end/i,
  /connection is not established/i,
  // TypeORM, when the pg client of a transaction's query runner died (57P01, socket closed)
  // and the runner was released under the transaction's feet.
  /connection provided by a query runner was already released/i,
  /query runner already released/i,
  /the server does not support ssl/i,
  /database system is (starting up|shutting down|in recovery mode)/i,
  /sorry, too many clients/i,
  /remaining connection slots are reserved/i,
];

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * Classifies an error thrown by TypeORM or pg (looking through `driverError`, `cause` and
 * `AggregateError.errors`, at most 5 levels deep). Pure: the same error always gives the same
 * kind.
 */
export function classifyDatabaseError(err: unknown, depth = 0): DatabaseErrorKind | undefined {
  if (err === null || typeof err !== 'object' || depth > 5) return undefined;
  const e = err as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    if (INVALID_INPUT_STATES.has(code)) return 'invalid_input';
    if (UNAVAILABLE_STATES.has(code) || UNAVAILABLE_CLASSES.has(code.slice(0, 2))) {
      return 'unavailable';
    }
  }
  if (code !== undefined && NETWORK_CODES.has(code)) return 'unavailable';
  const message = typeof e.message === 'string' ? e.message : '';
  if (UNAVAILABLE_MESSAGES.some((re) => re.test(message))) return 'unavailable';
  for (const inner of [e.driverError, e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const kind = classifyDatabaseError(inner, depth + 1);
    if (kind !== undefined) return kind;
  }
  return undefined;
}

/** Seconds a client is asked to wait (`Retry-After`) when the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
