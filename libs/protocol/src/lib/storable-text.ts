/**
 * Text that PostgreSQL can keep unchanged. A `text` or `jsonb` value cannot hold U+0000 (the
 * server refuses it: the error would escape as a 500), and the driver replaces a lone UTF-16
 * surrogate with U+FFFD, so a stored value would differ from the signed one. Every string
 * that may reach a query is checked with these at the edge and refused with
 * `400 validation_failed`, except where the contract allows any code point (a page's
 * `content`, which the adapter stores losslessly as a JSON string literal).
 */

// A UTF-16 surrogate without its partner.
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Deeper than any wire object; a deeper value is not storable (and not walked further). */
const MAX_DEPTH = 64;

/** Why a string cannot be stored, for messages: "must be well-formed Unicode without U+0000". */
export const STORABLE_TEXT_RULE = 'must be well-formed Unicode without U+0000';

/** True if `s` is a string that survives a round trip through a PostgreSQL text column. */
export function isStorableText(s: unknown): s is string {
  return typeof s === 'string' && !s.includes('\u0000') && !LONE_SURROGATE_RE.test(s);
}

/**
 * True if every string in a parsed JSON value (object keys included, at any depth up to 64)
 * is storable text: what a `jsonb` column (announcements) can keep unchanged.
 */
export function isStorableJson(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => isStorableJson(item, depth + 1));
  for (const [key, member] of Object.entries(value)) {
    if (!isStorableText(key) || !isStorableJson(member, depth + 1)) return false;
  }
  return true;
}
