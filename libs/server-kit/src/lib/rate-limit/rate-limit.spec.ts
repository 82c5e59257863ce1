import {
  blockSecondsFor,
  consumeRateLimit,
  initialRateLimitState,
  RateLimitDecision,
  RateLimitState,
} from './rate-limit';

const T0 = 1_760_000_000_000;
const HOUR = 3_600_000;

/** Sends `n` requests at `nowMs` and returns the last result. */
function send(state: RateLimitState, n: number, nowMs: number, limit: number): RateLimitDecision {
  let result: RateLimitDecision = { allowed: true, retryAfterSeconds: 0, state, violation: false };
  for (let i = 0; i < n; i++) result = consumeRateLimit(result.state, nowMs, limit);
  return result;
}

/** A state that has just gone over a limit of 3 for the (violations+1)th time, at `nowMs`. */
function violate(state: RateLimitState, nowMs: number): RateLimitDecision {
  return send(state, 4, nowMs, 3);
}

describe('consumeRateLimit', () => {
  it('starts a source with an empty window at its first request', () => {
    expect(initialRateLimitState(T0)).toEqual({
      windowStartMs: T0,
      count: 0,
      violations: 0,
      blockedUntilMs: 0,
    });
  });

  it('allows exactly the limit in one window', () => {
    const result = send(initialRateLimitState(T0), 100, T0, 100);
    expect(result.allowed).toBe(true);
    expect(result.state.count).toBe(100);
  });

  it('refuses the request after the limit as a violation', () => {
    const result = send(initialRateLimitState(T0), 101, T0, 100);
    expect(result).toMatchObject({ allowed: false, violation: true, retryAfterSeconds: 60 });
    expect(result.state.violations).toBe(1);
  });

  it('answers an allowed request with no Retry-After', () => {
    expect(consumeRateLimit(initialRateLimitState(T0), T0, 1).retryAfterSeconds).toBe(0);
  });

  it('blocks for 60 seconds on the first violation', () => {
    const result = violate(initialRateLimitState(T0), T0);
    expect(result.state.blockedUntilMs).toBe(T0 + 60_000);
  });

  it('blocks for 120 seconds on the second violation', () => {
    const first = violate(initialRateLimitState(T0), T0);
    const second = violate(first.state, first.state.blockedUntilMs);
    expect(second.retryAfterSeconds).toBe(120);
    expect(second.state.violations).toBe(2);
  });

  it('doubles the block with each violation up to 3600 seconds', () => {
    let state = initialRateLimitState(T0);
    let now = T0;
    const blocks: number[] = [];
    for (let i = 0; i < 9; i++) {
      const result = violate(state, now);
      blocks.push(result.retryAfterSeconds);
      state = result.state;
      now = state.blockedUntilMs;
    }
    expect(blocks).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  it('refuses requests while blocked with the seconds left', () => {
    const blocked = violate(initialRateLimitState(T0), T0).state;
    const result = consumeRateLimit(blocked, T0 + 15_000, 3);
    expect(result).toMatchObject({ allowed: false, violation: false, retryAfterSeconds: 45 });
  });

  it('rounds the seconds left up', () => {
    const blocked = violate(initialRateLimitState(T0), T0).state;
    expect(consumeRateLimit(blocked, T0 + 15_500, 3).retryAfterSeconds).toBe(45);
  });

  it('says at least 1 second while blocked', () => {
    const blocked = violate(initialRateLimitState(T0), T0).state;
    expect(consumeRateLimit(blocked, T0 + 59_999, 3).retryAfterSeconds).toBe(1);
  });

  it('does not escalate or count requests refused while blocked', () => {
    const blocked = violate(initialRateLimitState(T0), T0).state;
    const result = send(blocked, 50, T0 + 1000, 3);
    expect(result.state).toBe(blocked);
    expect(result.violation).toBe(false);
  });

  it('does not give the allowance back when the block ends: the next request within the hour is a new violation', () => {
    const blocked = violate(initialRateLimitState(T0), T0).state;
    const afterBlock = send(blocked, 1, T0 + 60_000, 3);
    expect(afterBlock).toMatchObject({ allowed: false, violation: true, retryAfterSeconds: 120 });
    expect(afterBlock.state).toMatchObject({ windowStartMs: T0, count: 3, violations: 2 });
  });

  it('escalates each violation within one spent window: 60, 120, 240 … 3600 s', () => {
    let state = violate(initialRateLimitState(T0), T0).state;
    let now = T0;
    const blocks: number[] = [60];
    while (now < T0 + HOUR) {
      now = state.blockedUntilMs;
      if (now >= T0 + HOUR) break;
      const result = consumeRateLimit(state, now, 3);
      expect(result).toMatchObject({ allowed: false, violation: true });
      blocks.push(result.retryAfterSeconds);
      state = result.state;
    }
    expect(blocks).toEqual([60, 120, 240, 480, 960, 1920]);
  });

  it('gives the allowance back with the next window, however many violations', () => {
    const blocked = violate(initialRateLimitState(T0), T0).state;
    const next = send(blocked, 3, T0 + HOUR, 3);
    expect(next.allowed).toBe(true);
    expect(next.state).toMatchObject({ windowStartMs: T0 + HOUR, count: 3, violations: 1 });
  });

  it('starts a new window when the block outlasts the hour', () => {
    const late = send(initialRateLimitState(T0), 3, T0 + HOUR - 1000, 3).state;
    const blocked = consumeRateLimit(late, T0 + HOUR - 1000, 3).state;
    expect(blocked.blockedUntilMs).toBe(T0 + HOUR + 59_000);
    const after = consumeRateLimit(blocked, blocked.blockedUntilMs, 3);
    expect(after.allowed).toBe(true);
    expect(after.state).toMatchObject({ windowStartMs: T0 + HOUR + 59_000, count: 1 });
  });

  it('restarts the window once it has elapsed', () => {
    const full = send(initialRateLimitState(T0), 3, T0, 3).state;
    const next = consumeRateLimit(full, T0 + HOUR, 3);
    expect(next.allowed).toBe(true);
    expect(next.state).toMatchObject({ windowStartMs: T0 + HOUR, count: 1 });
  });

  it('keeps the window until the last millisecond of the hour', () => {
    const full = send(initialRateLimitState(T0), 3, T0, 3).state;
    expect(consumeRateLimit(full, T0 + HOUR - 1, 3).allowed).toBe(false);
  });

  it('uses a fixed window, not a sliding one: requests late in a window do not carry over', () => {
    const late = send(initialRateLimitState(T0), 3, T0 + HOUR - 1000, 3).state;
    expect(send(late, 3, T0 + HOUR, 3).allowed).toBe(true);
  });

  it('honours another window length', () => {
    const full = send(initialRateLimitState(T0), 2, T0, 2).state;
    expect(consumeRateLimit(full, T0 + 10_000, 2, 10_000).allowed).toBe(true);
  });

  it('treats a limit of zero as refusing every request', () => {
    expect(consumeRateLimit(initialRateLimitState(T0), T0, 0)).toMatchObject({
      allowed: false,
      violation: true,
    });
  });

  it('does not change the state it was given', () => {
    const state = initialRateLimitState(T0);
    consumeRateLimit(state, T0, 5);
    expect(state).toEqual(initialRateLimitState(T0));
  });
});

describe('blockSecondsFor', () => {
  it('stays at 3600 for any number of earlier violations beyond the cap', () => {
    expect(blockSecondsFor(10_000)).toBe(3600);
  });
});
