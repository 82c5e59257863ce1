import {
  BreakerPolicy,
  DestinationState,
  afterAttempt,
  afterOperator,
  afterRetryNow,
  UNPROVEN_MAX_IN_FLIGHT,
  destinationCap,
  holdEndsMs,
  isProvenDestination,
  newDestination,
  pageVerdict,
  sendsPages,
  unprovenRoom,
} from './destination-rules';

const policy: BreakerPolicy = {
  breakerThreshold: 3,
  probeIntervalMs: 10_000,
  retryDelayMs: 1_000,
  holdMs: 3_600_000,
};

function failTimes(n: number, start: DestinationState, fromMs: number): DestinationState {
  let s = start;
  for (let i = 0; i < n; i++) s = afterAttempt(s, 'failure', 'ack_timeout', fromMs + i, policy);
  return s;
}

describe('destination rules', () => {
  it('backs off after a failure and opens the breaker after the threshold of consecutive failures', () => {
    const one = failTimes(1, newDestination(0), 100);
    expect(one).toMatchObject({
      state: 'backing_off',
      consecutiveFailures: 1,
      sinceMs: 100,
      nextAttemptMs: 1_100,
      lastError: 'ack_timeout',
    });
    const two = afterAttempt(one, 'failure', 'http_503', 200, policy);
    expect(two).toMatchObject({ state: 'backing_off', sinceMs: 100, consecutiveFailures: 2 });
    const three = afterAttempt(two, 'failure', 'ack_timeout', 300, policy);
    expect(three).toMatchObject({
      state: 'unreachable',
      sinceMs: 300,
      consecutiveFailures: 3,
      nextAttemptMs: 10_300,
    });
    expect(three.reason).toContain('3 consecutive');
    expect(sendsPages(three.state)).toBe(false);
  });

  it('counts only consecutive failures: an ack in between resets the count', () => {
    const s = failTimes(2, newDestination(0), 0);
    const ok = afterAttempt(s, 'ack', null, 50, policy);
    expect(ok).toMatchObject({
      state: 'healthy',
      consecutiveFailures: 0,
      lastSuccessMs: 50,
      sinceMs: 50,
    });
    expect(failTimes(2, ok, 60).state).toBe('backing_off');
  });

  it('keeps an unreachable destination open on a failed probe and schedules the next probe', () => {
    const open = failTimes(3, newDestination(0), 0);
    const probed = afterAttempt(open, 'failure', 'connection_failed', 20_000, policy);
    expect(probed).toMatchObject({
      state: 'unreachable',
      sinceMs: open.sinceMs,
      nextAttemptMs: 30_000,
    });
  });

  it('does not close the breaker on an answer that is no ack (429, a 4xx)', () => {
    const open = failTimes(3, newDestination(0), 0);
    expect(afterAttempt(open, 'answered', 'rate_limited', 5, policy).state).toBe('unreachable');
  });

  it('closes the breaker only on an ack', () => {
    const open = failTimes(3, newDestination(0), 0);
    expect(afterAttempt(open, 'ack', null, 40_000, policy)).toMatchObject({
      state: 'healthy',
      sinceMs: 40_000,
      nextAttemptMs: null,
      consecutiveFailures: 0,
    });
  });

  it('stays stopped whatever attempts do, until the operator sets it active', () => {
    const stopped = afterOperator(newDestination(0), { state: 'stopped', reason: 'abuse' }, 10);
    expect(stopped).toMatchObject({ state: 'stopped', reason: 'abuse', sinceMs: 10 });
    expect(afterAttempt(stopped, 'ack', null, 20, policy).state).toBe('stopped');
    expect(failTimes(5, stopped, 30).state).toBe('stopped');
    const active = afterOperator(failTimes(5, stopped, 30), { state: 'active' }, 40);
    expect(active).toMatchObject({
      state: 'healthy',
      reason: null,
      consecutiveFailures: 0,
      sinceMs: 40,
    });
    // "active" on a destination that is not stopped changes nothing (its breaker stays).
    const open = failTimes(3, newDestination(0), 0);
    expect(afterOperator(open, { state: 'active' }, 50)).toBe(open);
  });

  it('probes now on retry (operator or sign of life), leaves healthy and stopped alone', () => {
    const open = failTimes(3, newDestination(0), 0);
    expect(afterRetryNow(open, 500)).toMatchObject({ state: 'unreachable', nextAttemptMs: 500 });
    const healthy = newDestination(0);
    expect(afterRetryNow(healthy, 500)).toBe(healthy);
  });

  it('holds a page for holdMs from the later of its creation and the breaker opening', () => {
    const open = failTimes(3, newDestination(0), 1_000); // unreachable since 1002
    expect(holdEndsMs(0, open, policy)).toBe(1_002 + 3_600_000);
    expect(holdEndsMs(5_000, open, policy)).toBe(5_000 + 3_600_000);
    expect(pageVerdict(5_000, open, 5_000 + 3_599_999, policy)).toBeNull();
    expect(pageVerdict(5_000, open, 5_000 + 3_600_000, policy)).toBe('destination_unreachable');
    expect(pageVerdict(0, newDestination(0), 10 ** 12, policy)).toBeNull();
    const stopped = afterOperator(open, { state: 'stopped', reason: 'x' }, 2_000);
    expect(pageVerdict(0, stopped, 2_000, policy)).toBe('delivery_stopped');
  });

  it('caps a destination at UNPROVEN_MAX_IN_FLIGHT until it acks, and again from its first failure', () => {
    expect(isProvenDestination(null)).toBe(false);
    expect(destinationCap(null, 32)).toBe(UNPROVEN_MAX_IN_FLIGHT);
    const fresh = newDestination(0);
    expect(destinationCap(fresh, 32)).toBe(UNPROVEN_MAX_IN_FLIGHT);
    const acked = afterAttempt(fresh, 'ack', null, 10, policy);
    expect(isProvenDestination(acked)).toBe(true);
    expect(destinationCap(acked, 32)).toBe(32);
    // A 429 or a final 4xx proves nothing either way.
    expect(destinationCap(afterAttempt(acked, 'answered', 'http_429', 20, policy), 32)).toBe(32);
    const failed = afterAttempt(acked, 'failure', 'ack_timeout', 30, policy);
    expect(destinationCap(failed, 32)).toBe(UNPROVEN_MAX_IN_FLIGHT);
    expect(destinationCap(afterAttempt(failed, 'ack', null, 40, policy), 32)).toBe(32);
    const open = failTimes(3, acked, 50);
    expect(destinationCap(open, 32)).toBe(UNPROVEN_MAX_IN_FLIGHT);
    // A cap set below the unproven one is kept for every destination.
    expect(destinationCap(null, 2)).toBe(2);
    expect(destinationCap(acked, 2)).toBe(2);
    const stoppedAfterAck = afterOperator(acked, { state: 'stopped', reason: 'x' }, 60);
    expect(isProvenDestination(stoppedAfterAck)).toBe(false);
  });

  it('leaves half of the slots to proven destinations whatever the unproven ones hold', () => {
    expect(unprovenRoom({ maxInFlight: 128, inFlight: 0, unprovenInFlight: 0 })).toBe(64);
    expect(unprovenRoom({ maxInFlight: 128, inFlight: 60, unprovenInFlight: 60 })).toBe(4);
    expect(unprovenRoom({ maxInFlight: 128, inFlight: 64, unprovenInFlight: 64 })).toBe(0);
    expect(unprovenRoom({ maxInFlight: 128, inFlight: 100, unprovenInFlight: 70 })).toBe(0);
    // Never more than the free slots.
    expect(unprovenRoom({ maxInFlight: 128, inFlight: 126, unprovenInFlight: 10 })).toBe(2);
    // A replica with one slot still probes.
    expect(unprovenRoom({ maxInFlight: 1, inFlight: 0, unprovenInFlight: 0 })).toBe(1);
  });
});

describe("afterAttempt with the page's retry time (Retry-After)", () => {
  const fresh = newDestination(0);

  it("makes a backing_off destination's next attempt the page's retry", () => {
    const s = afterAttempt(fresh, 'failure', 'http_503', 100, policy, 100 + 600_000);
    expect(s).toMatchObject({ state: 'backing_off', nextAttemptMs: 100 + 600_000 });
  });

  it('keeps the retry delay when the page does not go again (its last attempt)', () => {
    expect(afterAttempt(fresh, 'failure', 'http_503', 100, policy).nextAttemptMs).toBe(1_100);
  });

  it("moves a backing_off destination's next attempt to a 429's retry, changing nothing else", () => {
    const backingOff = afterAttempt(fresh, 'failure', 'ack_timeout', 100, policy);
    const s = afterAttempt(backingOff, 'answered', 'rate_limited', 200, policy, 200 + 3_600_000);
    expect(s).toEqual({ ...backingOff, lastError: 'rate_limited', nextAttemptMs: 3_600_200 });
  });

  it('leaves a healthy destination healthy with no next attempt on a 429 (ee2c569: answered proves nothing)', () => {
    const acked = afterAttempt(fresh, 'ack', null, 10, policy);
    const s = afterAttempt(acked, 'answered', 'rate_limited', 20, policy, 3_600_020);
    expect(s).toEqual({ ...acked, lastError: 'rate_limited' });
    expect(isProvenDestination(s)).toBe(true);
  });

  it('keeps the probe schedule when the failure opens the breaker or a probe fails', () => {
    const two = failTimes(2, fresh, 0);
    const open = afterAttempt(two, 'failure', 'http_503', 50, policy, 999_999);
    expect(open).toMatchObject({ state: 'unreachable', nextAttemptMs: 50 + 10_000 });
    const probed = afterAttempt(open, 'failure', 'http_503', 60_000, policy, 999_999);
    expect(probed.nextAttemptMs).toBe(70_000);
    expect(afterAttempt(open, 'answered', 'rate_limited', 61_000, policy, 999_999)).toMatchObject({
      nextAttemptMs: 10_050,
    });
  });
});
