/** RFC 3339 in UTC with a `Z` suffix, optionally with 1 to 3 fractional digits. */
export const RFC3339_UTC_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;

/** Replay window for messages, envelopes and queries. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** An announcement may be at most this far in the future... */
export const ANNOUNCEMENT_MAX_FUTURE_MS = 5 * 60_000;
/** ...and at most this old; entries not refreshed for this long are dropped. */
export const ANNOUNCEMENT_MAX_AGE_MS = 24 * 3_600_000;
/** A server re-signs its own announcement at least this often. */
export const ANNOUNCEMENT_REFRESH_MS = 6 * 3_600_000;

/** Milliseconds since the epoch, or null if `s` is not a protocol timestamp of a real instant. */
export function parseProtocolTimestamp(s: string): number | null {
  if (typeof s !== 'string') return null;
  const m = RFC3339_UTC_RE.exec(s);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const millis = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls over silently (Feb 30 becomes Mar 2, 24:00 the next day); round-tripping
  // the fields refuses such dates. Leap seconds (:60) are refused too: JS time has none.
  const d = new Date(ms);
  const roundTrips =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second;
  return roundTrips ? ms : null;
}

/** ISO 8601 in UTC, always with milliseconds (e.g. `2025-10-15T10:30:00.000Z`). */
export function formatProtocolTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** True if `timestamp` is valid and at most `maxSkewMs` away from `nowMs`, either way. */
export function isWithinSkew(timestamp: string, nowMs: number, maxSkewMs: number): boolean {
  const t = parseProtocolTimestamp(timestamp);
  return t !== null && Math.abs(t - nowMs) <= maxSkewMs;
}

/** True if `timestamp` is valid, at most `maxFutureMs` ahead and at most `maxAgeMs` behind. */
export function isWithinWindow(
  timestamp: string,
  nowMs: number,
  maxFutureMs: number,
  maxAgeMs: number,
): boolean {
  const t = parseProtocolTimestamp(timestamp);
  return t !== null && t - nowMs <= maxFutureMs && nowMs - t <= maxAgeMs;
}
