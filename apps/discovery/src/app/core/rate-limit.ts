/**
 * Per-source rate limiting (PROTOCOL.md section 7) as a pure state transition. The caller
 * stores `RateLimitState` per (traffic kind, verified server_id) wherever replicas share it,
 * and writes back the returned state. No imports on purpose: the adapter uses this file too.
 */

export interface RateLimitState {
  /** Start of the current fixed window. */
  windowStartMs: number;
  /** Requests allowed in the current window. */
  count: number;
  /** Violations so far; never decays. */
  violations: number;
  /** Refused until this instant; 0 (or any past instant) when not blocked. */
  blockedUntilMs: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Seconds for `Retry-After` when refused (at least 1); 0 when allowed. */
  retryAfterSeconds: number;
  state: RateLimitState;
  /** This request went over the limit and counted one violation. */
  violation: boolean;
}

export const RATE_LIMIT_WINDOW_MS = 3_600_000;
export const MAX_BLOCK_SECONDS = 3600;
const FIRST_BLOCK_SECONDS = 60;

/** The state of a source never seen before: its window starts with its first request. */
export function initialRateLimitState(nowMs: number): RateLimitState {
  return { windowStartMs: nowMs, count: 0, violations: 0, blockedUntilMs: 0 };
}

/** `min(3600, 60 * 2^violations)`, `violations` being the earlier ones. */
export function blockSeconds(earlierViolations: number): number {
  // 60 * 2^6 already exceeds the cap; stopping the exponent there avoids overflow to Infinity.
  const exponent = Math.min(Math.max(0, Math.floor(earlierViolations)), 6);
  return Math.min(MAX_BLOCK_SECONDS, FIRST_BLOCK_SECONDS * 2 ** exponent);
}

/**
 * Counts one request.
 *
 * - While blocked: refused, with the seconds left (at least 1); the state is returned
 *   unchanged, so such requests neither count nor escalate.
 * - A fixed window of `windowMs` starts at the first request and restarts (count 0) with the
 *   first request after it elapsed.
 * - Up to `limitPerWindow` requests per window are allowed. The next one is a violation:
 *   refused and blocked for `blockSeconds(violations)`, `violations` goes up by one, and a
 *   fresh window starts when the block ends, so the source gets its full allowance back.
 */
export function consumeRateLimit(
  state: RateLimitState,
  nowMs: number,
  limitPerWindow: number,
  windowMs: number = RATE_LIMIT_WINDOW_MS,
): RateLimitResult {
  if (nowMs < state.blockedUntilMs) {
    const retryAfterSeconds = Math.max(1, Math.ceil((state.blockedUntilMs - nowMs) / 1000));
    return { allowed: false, retryAfterSeconds, state, violation: false };
  }

  const windowElapsed = nowMs - state.windowStartMs >= windowMs;
  const current = windowElapsed ? { ...state, windowStartMs: nowMs, count: 0 } : state;

  if (current.count < limitPerWindow) {
    return {
      allowed: true,
      retryAfterSeconds: 0,
      state: { ...current, count: current.count + 1 },
      violation: false,
    };
  }

  const seconds = blockSeconds(current.violations);
  const blockedUntilMs = nowMs + seconds * 1000;
  return {
    allowed: false,
    retryAfterSeconds: seconds,
    state: {
      windowStartMs: blockedUntilMs,
      count: 0,
      violations: current.violations + 1,
      blockedUntilMs,
    },
    violation: true,
  };
}
