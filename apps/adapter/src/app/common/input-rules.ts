import { ProtocolError, USERNAME_RE, isStorableText, parseAddress } from '@pager/protocol';

// Validation of the internal API's request bodies: plain functions over unknown input, so
// that any JSON value (BLNS strings included) ends in a 400, never in a 500.

export const USER_ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// C0 and C1 control characters (DEL included).
// eslint-disable-next-line no-control-regex -- matching them is the point
const CONTROL_RE = /[\u0000-\u001F\u007F-\u009F]/;

export function invalid(message: string): ProtocolError {
  return new ProtocolError('validation_failed', message);
}

export function requireBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** Only ASCII letters fold (the Kelvin sign must not reach user "k..."). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The shared predicate (libs/protocol storable-text.ts), re-exported for this app's rules. */
export { isStorableText };

export function isValidUserId(s: unknown): s is string {
  return typeof s === 'string' && USER_ID_RE.test(s);
}

/** Lowercase username, or null if it is not 3 to 20 of [a-z0-9_] (case-insensitively). */
export function normalizeUsername(s: unknown): string | null {
  if (typeof s !== 'string' || s.length > 20) return null;
  const lower = asciiLower(s);
  return USERNAME_RE.test(lower) ? lower : null;
}

/**
 * A pager address as users write it: `sally` (a local user) or `sally@remote.com`.
 * Returns the lowercase full address, or null if malformed.
 */
export function normalizePagerAddress(s: unknown, serverId: string): string | null {
  if (typeof s !== 'string' || s.length > 300) return null;
  if (!s.includes('@')) {
    const user = normalizeUsername(s);
    return user === null ? null : `${user}@${serverId}`;
  }
  const parsed = parseAddress(s);
  return parsed === null ? null : `${parsed.user}@${parsed.serverId}`;
}

export function requireString(
  body: Record<string, unknown>,
  field: string,
  rule: { min?: number; max: number; trim?: boolean; noControl?: boolean },
): string {
  const raw = body[field];
  if (typeof raw !== 'string') throw invalid(`${field}: must be a string`);
  const value = rule.trim ? raw.trim() : raw;
  const length = codePointLength(value);
  if (length < (rule.min ?? 1) || length > rule.max) {
    throw invalid(`${field}: must be ${rule.min ?? 1} to ${rule.max} characters`);
  }
  if (!isStorableText(value)) throw invalid(`${field}: must be well-formed Unicode without NUL`);
  if (rule.noControl && CONTROL_RE.test(value))
    throw invalid(`${field}: must not contain control characters`);
  return value;
}

export function optionalString(
  body: Record<string, unknown>,
  field: string,
  rule: { max: number; pattern: RegExp; what: string },
): string | null {
  const raw = body[field];
  if (raw === undefined || raw === null) return null;
  if (
    typeof raw !== 'string' ||
    raw.length > rule.max ||
    !rule.pattern.test(raw) ||
    !isStorableText(raw)
  ) {
    throw invalid(`${field}: must be ${rule.what} of at most ${rule.max} characters`);
  }
  return raw;
}
