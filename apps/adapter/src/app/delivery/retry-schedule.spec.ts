import { nextStep, parseRetryAfter } from './retry-schedule';

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
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    const now = Date.parse('2025-10-15T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Wed, 15 Oct 2025 10:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
