/**
 * Rate-limit arithmetic of docs/protocol.md §13, over plain data.
 *
 * A fixed window of `windowMs` opens with the first request. The request that would go
 * over the limit is a violation: it is refused and the source is blocked for
 * `min(3600, 60 * 2^violations)` seconds, `violations` counting the earlier ones. Requests
 * refused while blocked change nothing. The block does not give the allowance back: a
 * request after the block, while the window's allowance is still spent, is over the limit
 * again (one more violation, a longer block); the allowance returns with the next window
 * (PROTOCOL §7: the limits are per hour; "each time it goes over a limit counts one
 * violation").
 */
export interface RateLimitState {
  windowStartMs: number;
  count: number;
  violations: number;
  blockedUntilMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** Seconds until a request may succeed (at least 1) when refused; 0 when allowed. */
  retryAfterSeconds: number;
  violation: boolean;
  state: RateLimitState;
}

export const RATE_LIMIT_WINDOW_MS = 3_600_000;
export const MAX_BLOCK_SECONDS = 3600;

export function initialRateLimitState(nowMs: number): RateLimitState {
  return { windowStartMs: nowMs, count: 0, violations: 0, blockedUntilMs: 0 };
}

export function blockSecondsFor(previousViolations: number): number {
  return Math.min(MAX_BLOCK_SECONDS, 60 * 2 ** Math.min(previousViolations, 16));
}

export function consumeRateLimit(
  state: RateLimitState,
  nowMs: number,
  limitPerWindow: number,
  windowMs: number = RATE_LIMIT_WINDOW_MS,
): RateLimitDecision {
  if (nowMs < state.blockedUntilMs) {
    return {
      allowed: false,
      retryAfterSeconds: secondsUntil(state.blockedUntilMs, nowMs),
      violation: false,
      state,
    };
  }
  const windowExpired = nowMs - state.windowStartMs >= windowMs || nowMs < state.windowStartMs;
  const current = windowExpired ? { ...state, windowStartMs: nowMs, count: 0 } : state;
  if (current.count < limitPerWindow) {
    return {
      allowed: true,
      retryAfterSeconds: 0,
      violation: false,
      state: { ...current, count: current.count + 1 },
    };
  }
  const blockedUntilMs = nowMs + blockSecondsFor(current.violations) * 1000;
  return {
    allowed: false,
    retryAfterSeconds: secondsUntil(blockedUntilMs, nowMs),
    violation: true,
    // The window and its count stay: the hour's allowance is still spent after the block.
    state: { ...current, violations: current.violations + 1, blockedUntilMs },
  };
}

function secondsUntil(untilMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
}
