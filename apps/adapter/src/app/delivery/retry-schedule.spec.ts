import {
  RETRY_AFTER_CAP_MS,
  RETRY_AFTER_SANE_MAX_SECONDS,
  clampRetryAfterMs,
  nextStep,
  parseRetryAfter,
  retryAtMs,
  withinHold,
} from './retry-schedule';

describe(nextStep.name, () => {
  const policy = { retryDelayMs: 30_000, deliveryAttempts: 3 };
  const now = 1_000_000;

  it('finishes delivered on a delivered ack', () => {
    expect(nextStep(1, { kind: 'delivered' }, now, policy)).toEqual({
      action: 'finish',
      status: 'delivered',
      lastError: null,
    });
  });

  it('finishes rejected with the reason, never retrying, even on the first attempt', () => {
    expect(nextStep(1, { kind: 'rejected', reason: 'unknown_recipient' }, now, policy)).toEqual({
      action: 'finish',
      status: 'rejected',
      lastError: 'unknown_recipient',
    });
  });

  it('retries a transient failure after RETRY_DELAY_MS', () => {
    expect(nextStep(1, { kind: 'transient', error: 'ack_timeout' }, now, policy)).toEqual({
      action: 'retry',
      atMs: now + 30_000,
      lastError: 'ack_timeout',
    });
  });

  it('waits for Retry-After when it is longer than the retry delay', () => {
    expect(
      nextStep(
        2,
        { kind: 'transient', error: 'rate_limited', retryAfterSeconds: 120 },
        now,
        policy,
      ),
    ).toMatchObject({ action: 'retry', atMs: now + 120_000 });
  });

  it('does not retry sooner than the retry delay when Retry-After is shorter', () => {
    expect(
      nextStep(1, { kind: 'transient', error: 'http_503', retryAfterSeconds: 1 }, now, policy),
    ).toMatchObject({ atMs: now + 30_000 });
  });

  it('fails with the last error after DELIVERY_ATTEMPTS attempts', () => {
    expect(nextStep(3, { kind: 'transient', error: 'ack_digest_mismatch' }, now, policy)).toEqual({
      action: 'finish',
      status: 'failed',
      lastError: 'ack_digest_mismatch',
    });
  });

  it('fails at once on another 4xx with its error code', () => {
    expect(nextStep(1, { kind: 'refused', error: 'validation_failed' }, now, policy)).toEqual({
      action: 'finish',
      status: 'failed',
      lastError: 'validation_failed',
    });
  });

  it('fails at once when our daemon blocks the destination', () => {
    expect(nextStep(1, { kind: 'destination_blocked' }, now, policy)).toEqual({
      action: 'finish',
      status: 'failed',
      lastError: 'blocked',
    });
  });

  it('postpones without spending an attempt while the daemon is unreachable, even on the last attempt', () => {
    expect(nextStep(3, { kind: 'daemon_unavailable', error: 'down' }, now, policy)).toEqual({
      action: 'postpone',
      atMs: now + 2_000,
      lastError: 'down',
    });
  });

  it('honours a single-attempt configuration', () => {
    expect(
      nextStep(1, { kind: 'transient', error: 'x' }, now, { retryDelayMs: 0, deliveryAttempts: 1 }),
    ).toMatchObject({ action: 'finish', status: 'failed' });
  });
});

describe(parseRetryAfter.name, () => {
  const now = Date.parse('2025-10-15T10:00:00Z');

  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 15 Oct 2025 10:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Wed, 15 Oct 2025 10:00:00 GMT', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(7, now)).toBeUndefined();
    expect(parseRetryAfter(['7'], now)).toBeUndefined();
  });

  it('answers the value as sent, however large (the clamp decides)', () => {
    expect(parseRetryAfter('999999', now)).toBe(999_999);
    expect(parseRetryAfter('Thu, 15 Oct 2026 10:00:00 GMT', now)).toBe(365 * 86_400);
  });

  it('ignores negative, fractional and numeric-looking garbage', () => {
    for (const garbage of ['-5', '1.5', '1e3', '0x10', '', '   ', 'NaN', 'Infinity', '7 s'])
      expect(parseRetryAfter(garbage, now)).toBeUndefined();
  });

  it('ignores an HTTP date in the past', () => {
    expect(parseRetryAfter('Tue, 14 Oct 2025 10:00:00 GMT', now)).toBeUndefined();
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', now)).toBeUndefined();
  });
});

describe(clampRetryAfterMs.name, () => {
  it('honours a Retry-After up to 1 h and up to DELIVERY_HOLD_MS', () => {
    expect(RETRY_AFTER_CAP_MS).toBe(3_600_000);
    expect(clampRetryAfterMs(120, 3_600_000)).toBe(120_000);
    expect(clampRetryAfterMs(0, 3_600_000)).toBe(0);
    expect(clampRetryAfterMs(999_999, 86_400_000)).toBe(3_600_000);
    expect(clampRetryAfterMs(3_600, 600_000)).toBe(600_000);
    expect(clampRetryAfterMs(3_600)).toBe(3_600_000);
  });

  it('ignores garbage: absent, NaN, infinite, negative, beyond a year', () => {
    for (const garbage of [
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -1,
      RETRY_AFTER_SANE_MAX_SECONDS + 1,
      1e21,
    ])
      expect(clampRetryAfterMs(garbage, 3_600_000)).toBeUndefined();
    expect(clampRetryAfterMs(RETRY_AFTER_SANE_MAX_SECONDS, 3_600_000)).toBe(3_600_000);
  });

  it('never answers a negative wait for a negative hold', () => {
    expect(clampRetryAfterMs(10, -5)).toBe(0);
  });
});

describe(retryAtMs.name, () => {
  const now = 1_000_000;

  it('waits the retry delay, or the longer Retry-After', () => {
    expect(retryAtMs({ nowMs: now, retryDelayMs: 30_000 })).toBe(now + 30_000);
    expect(retryAtMs({ nowMs: now, retryDelayMs: 30_000, retryAfterMs: 5_000 })).toBe(now + 30_000);
    expect(retryAtMs({ nowMs: now, retryDelayMs: 30_000, retryAfterMs: 90_000 })).toBe(
      now + 90_000,
    );
  });

  it("goes at the hold's end when the retry would fall after it", () => {
    expect(
      retryAtMs({
        nowMs: now,
        retryDelayMs: 30_000,
        retryAfterMs: 3_600_000,
        holdEndMs: now + 60_000,
      }),
    ).toBe(now + 60_000);
    expect(retryAtMs({ nowMs: now, retryDelayMs: 30_000, holdEndMs: now + 10_000 })).toBe(
      now + 10_000,
    );
  });

  it("goes now when the hold's end has passed, never in the past", () => {
    expect(retryAtMs({ nowMs: now, retryDelayMs: 30_000, holdEndMs: now - 5_000 })).toBe(now);
    expect(withinHold(now - 1, now, undefined)).toBe(now);
    expect(withinHold(now + 5, now, undefined)).toBe(now + 5);
  });
});

describe('nextStep with a hold (Retry-After capped, never past the hold end)', () => {
  const now = 1_000_000;
  const held = { retryDelayMs: 30_000, deliveryAttempts: 3, holdMs: 3_600_000 };
  const tooMany = (retryAfterSeconds: number | undefined) =>
    ({ kind: 'transient', error: 'rate_limited', retryAfterSeconds }) as const;

  it('caps Retry-After: 999999 at 1 h', () => {
    expect(nextStep(1, tooMany(999_999), now, held)).toMatchObject({ atMs: now + 3_600_000 });
  });

  it('caps it at DELIVERY_HOLD_MS when that is shorter', () => {
    expect(nextStep(1, tooMany(3_000), now, { ...held, holdMs: 600_000 })).toMatchObject({
      atMs: now + 600_000,
    });
  });

  it("retries at the page's hold end when that comes first", () => {
    expect(nextStep(1, tooMany(3_000), now, held, now + 120_000)).toMatchObject({
      atMs: now + 120_000,
    });
  });

  it('keeps the normal schedule for garbage', () => {
    for (const garbage of [Number.NaN, -3, 1e12, undefined])
      expect(nextStep(1, tooMany(garbage), now, held)).toMatchObject({ atMs: now + 30_000 });
  });
});
