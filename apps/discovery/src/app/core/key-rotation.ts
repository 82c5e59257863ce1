/**
 * Whether our own announcement still carries a `rotation_signature` by the previous key
 * (docs/protocol.md §2 and §14): from the start of the rotation (`startedAtMs`, ms since the
 * epoch, as recorded when the daemon first announced this key pair) for one announcement
 * lifetime (`lifetimeMs`, ANNOUNCEMENT_TTL_MS, 24 h by default). After that every peer that
 * held the old announcement has dropped it, so the old key can move no pin any more.
 */
export function rotationSignatureDue(
  startedAtMs: number,
  nowMs: number,
  lifetimeMs: number,
): boolean {
  return nowMs - startedAtMs < lifetimeMs;
}
