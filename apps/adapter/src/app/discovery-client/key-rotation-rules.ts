import type { KeyObject } from 'node:crypto';
import type { Route } from './route';

/**
 * Whether a key a peer's pin was moved away from at `rotatedAtMs` is still accepted at
 * `nowMs` (all ms): for `graceMs` (KEY_ROTATION_GRACE_MS) after the move, so that messages and
 * acks the peer signed with its old key while it switched are not refused (docs/protocol.md
 * §14). A move in the future (clock step) counts as just now.
 */
export function withinRotationGrace(rotatedAtMs: number, nowMs: number, graceMs: number): boolean {
  return graceMs > 0 && nowMs - rotatedAtMs < graceMs;
}

/**
 * The key that verifies a message whose `sender_fingerprint` is `senderFingerprint`: the
 * pinned key when it is the one named, the key the pin just moved away from while within the
 * grace, else null (the caller then refreshes the sender's key before key_mismatch, §2).
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
 * the pinned key, then the key the pin just moved away from while within the grace.
 */
export function ackKeysFor(route: Route, nowMs: number, graceMs: number): KeyObject[] {
  const previous = route.previous;
  return previous !== undefined && withinRotationGrace(previous.rotatedAtMs, nowMs, graceMs)
    ? [route.publicKey, previous.publicKey]
    : [route.publicKey];
}

/**
 * How long after it started holding a previous key our sender counts as "right after it
 * rotated" (docs/protocol.md §2): the announcement lifetime, during which our daemon
 * announces the new key with a rotation_signature. Later, key_mismatch is final again, even
 * if the operator left the previous key in place.
 */
export const ROTATION_RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Whether we are rotating: a previous key held since `previousSinceMs`, within the window. */
export function isRotating(previousSinceMs: number | null, nowMs: number): boolean {
  return previousSinceMs !== null && nowMs - previousSinceMs < ROTATION_RETRY_WINDOW_MS;
}

/**
 * What the sender does with an answer `401 key_mismatch` to a page (docs/protocol.md §2: a
 * sender that receives it right after it rotated pushes its announcement and retries once,
 * and that answer is not a final 4xx):
 * - `push_and_retry`: we are rotating (PREVIOUS_KEY_PATH names another key) and this page
 *   has not been retried for it in this attempt: ask our daemon to push our announcement,
 *   then send the same signed message once more;
 * - `transient`: rotating, and the retry got key_mismatch again: the receiver fetches our
 *   announcement at most once a minute, so the page waits for the next scheduled attempt;
 * - `refused`: not rotating: key_mismatch is a final 4xx as before.
 */
export function afterKeyMismatch(input: {
  rotating: boolean;
  retried: boolean;
}): 'push_and_retry' | 'transient' | 'refused' {
  if (!input.rotating) return 'refused';
  return input.retried ? 'transient' : 'push_and_retry';
}
