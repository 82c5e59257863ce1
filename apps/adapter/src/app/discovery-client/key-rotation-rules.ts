import type { KeyObject } from 'node:crypto';
import type { Route } from './route';

/**
 * Whether a key a peer's pin was moved away from at `rotatedAtMs` is still accepted at
 * `nowMs` (all ms). The protocol accepts it never (docs/protocol.md §6: a key that does not
 * match the pin is `key_mismatch`), which is the default, `graceMs` 0. An operator who sets
 * KEY_ROTATION_GRACE_MS opts out of that for `graceMs` after the move (docs/protocol.md §14),
 * so that messages and acks the peer signed with its old key while it switched are not
 * refused, at the risk that a compromised old key passes for that long. A move in the future
 * (clock step) counts as just now.
 */
export function withinRotationGrace(rotatedAtMs: number, nowMs: number, graceMs: number): boolean {
  return graceMs > 0 && nowMs - rotatedAtMs < graceMs;
}

/**
 * The key that verifies a message whose `sender_fingerprint` is `senderFingerprint`: the
 * pinned key when it is the one named, the key the pin just moved away from only within an
 * opted-in grace (`graceMs` > 0, see `withinRotationGrace`), else null (the caller then
 * refreshes the sender's key before answering key_mismatch, docs/protocol.md §6).
 */
export function senderKeyFor(
  route: Route,
  senderFingerprint: string,
  nowMs: number,
  graceMs: number,
): { key: KeyObject; which: 'pinned' | 'previous' } | null {
  if (senderFingerprint === route.fingerprint) return { key: route.publicKey, which: 'pinned' };
  const previous = route.previous;
  if (
    previous !== undefined &&
    previous.fingerprint === senderFingerprint &&
    withinRotationGrace(previous.rotatedAtMs, nowMs, graceMs)
  ) {
    return { key: previous.publicKey, which: 'previous' };
  }
  return null;
}

/**
 * The keys an ack from the destination of `route` may be signed with, in the order to try:
 * the pinned key; then, only within an opted-in grace (`graceMs` > 0), the key the pin just
 * moved away from. With the default (0) an ack signed with the old key does not verify.
 */
export function ackKeysFor(route: Route, nowMs: number, graceMs: number): KeyObject[] {
  const previous = route.previous;
  return previous !== undefined && withinRotationGrace(previous.rotatedAtMs, nowMs, graceMs)
    ? [route.publicKey, previous.publicKey]
    : [route.publicKey];
}

/**
 * How long after it started holding a previous key our sender counts as "right after it
 * rotated" (docs/protocol.md §6): the announcement lifetime, during which our daemon
 * announces the new key with a rotation_signature. Later, key_mismatch is final again, even
 * if the operator left the previous key in place.
 */
export const ROTATION_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Whether we are rotating: a previous key held since `previousSinceMs`, within the window. */
export function isRotating(previousSinceMs: number | null, nowMs: number): boolean {
  return previousSinceMs !== null && nowMs - previousSinceMs < ROTATION_RETRY_WINDOW_MS;
}

/**
 * The `delivery_attempts` outcome of a request answered `401 key_mismatch` while we rotate,
 * after which our announcement was pushed and the message sent once more (docs/protocol.md
 * §6): part of the page's history, not one of its attempts (it spends none).
 */
export const KEY_MISMATCH_RETRIED = 'key_mismatch_retried';

/**
 * What the sender does with an answer `401 key_mismatch` to a page (docs/protocol.md §6: a
 * sender that receives it right after it rotated pushes its announcement and retries the
 * message once, and that answer is not a final 4xx). Once per page, not per attempt:
 * - `push_and_retry`: we are rotating (`isRotating`) and the page has never been retried
 *   for a key_mismatch (`retriedBefore`: its history has no `key_mismatch_retried`, and this
 *   request is not that retry): ask our daemon to push our announcement, then send the same
 *   signed message once more, within the same attempt;
 * - `refused`: not rotating, or the page's one retry is spent: key_mismatch is a final 4xx
 *   (the page fails with last_error `key_mismatch`).
 */
export function afterKeyMismatch(input: {
  rotating: boolean;
  retriedBefore: boolean;
}): 'push_and_retry' | 'refused' {
  return input.rotating && !input.retriedBefore ? 'push_and_retry' : 'refused';
}
