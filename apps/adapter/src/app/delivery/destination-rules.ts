/**
 * Per-destination delivery state (SERVICES.md, Destinations; issue 7): pure rules over plain
 * data. The destination store reads a row, asks these functions what follows, and writes it.
 *
 * - `healthy`: the last attempt that got an answer was acked.
 * - `backing_off`: attempts failed (fewer than the breaker threshold in a row); the pages
 *   retry on their own schedule (RETRY_DELAY_MS), `next_attempt_at` is the next retry.
 * - `unreachable`: the circuit breaker opened after `breakerThreshold` consecutive failures.
 *   Pages wait without spending attempts, for at most `holdMs` each; one probe (a real
 *   attempt of the oldest waiting page) runs every `probeIntervalMs`; only an ack closes it.
 * - `stopped`: by an operator, with a reason; pages end `failed` with `delivery_stopped`.
 */
export type DestinationStateName = 'healthy' | 'backing_off' | 'unreachable' | 'stopped';

export interface DestinationState {
  state: DestinationStateName;
  reason: string | null;
  /** When the destination entered `state` (ms since the epoch). */
  sinceMs: number;
  consecutiveFailures: number;
  lastSuccessMs: number | null;
  lastError: string | null;
  /** backing_off: the next retry; unreachable: the next probe; otherwise null. */
  nextAttemptMs: number | null;
}

export interface BreakerPolicy {
  /** Consecutive failed attempts that open the breaker (DELIVERY_BREAKER_THRESHOLD). */
  breakerThreshold: number;
  /** Time between probes of an unreachable destination (DELIVERY_PROBE_INTERVAL_MS). */
  probeIntervalMs: number;
  retryDelayMs: number;
  /** How long a page waits for an unreachable destination (DELIVERY_HOLD_MS). */
  holdMs: number;
}

/**
 * What an attempt says about the way to the destination:
 * - `ack`: a verifying ack (delivered or rejected): the way out works;
 * - `answered`: an HTTP answer that is no ack (429, a final 4xx): alive, but proves no delivery;
 * - `failure`: timeout, connection failure, 5xx, an ack that does not verify, unknown domain.
 */
export type AttemptSignal = 'ack' | 'answered' | 'failure';

/** A destination never seen before: healthy since `nowMs`. */
export function newDestination(nowMs: number): DestinationState {
  return {
    state: 'healthy',
    reason: null,
    sinceMs: nowMs,
    consecutiveFailures: 0,
    lastSuccessMs: null,
    lastError: null,
    nextAttemptMs: null,
  };
}

/** The state after an attempt (or a probe) to the destination ended with `signal` at `nowMs`. */
export function afterAttempt(
  current: DestinationState,
  signal: AttemptSignal,
  error: string | null,
  nowMs: number,
  policy: BreakerPolicy,
): DestinationState {
  if (signal === 'ack') {
    const base = { ...current, consecutiveFailures: 0, lastSuccessMs: nowMs };
    if (current.state === 'stopped') return base;
    return {
      ...base,
      state: 'healthy',
      reason: null,
      sinceMs: current.state === 'healthy' ? current.sinceMs : nowMs,
      nextAttemptMs: null,
    };
  }
  if (signal === 'answered') return { ...current, lastError: error ?? current.lastError };
  const failures = current.consecutiveFailures + 1;
  const failed = { ...current, consecutiveFailures: failures, lastError: error };
  if (current.state === 'stopped') return failed;
  if (current.state === 'unreachable')
    // A failed probe: the breaker stays open, the next probe in one interval.
    return { ...failed, nextAttemptMs: nowMs + policy.probeIntervalMs };
  if (failures >= policy.breakerThreshold)
    return {
      ...failed,
      state: 'unreachable',
      reason: `${failures} consecutive failed attempts, the last: ${error}`,
      sinceMs: nowMs,
      nextAttemptMs: nowMs + policy.probeIntervalMs,
    };
  return {
    ...failed,
    state: 'backing_off',
    reason: error,
    sinceMs: current.state === 'backing_off' ? current.sinceMs : nowMs,
    nextAttemptMs: nowMs + policy.retryDelayMs,
  };
}

/** Operator: `PUT .../delivery` with `stopped` (and a reason) or `active`. */
export function afterOperator(
  current: DestinationState,
  wanted: { state: 'stopped'; reason: string } | { state: 'active' },
  nowMs: number,
): DestinationState {
  if (wanted.state === 'stopped')
    return {
      ...current,
      state: 'stopped',
      reason: wanted.reason,
      sinceMs: current.state === 'stopped' ? current.sinceMs : nowMs,
      nextAttemptMs: null,
    };
  if (current.state !== 'stopped') return current;
  return {
    ...current,
    state: 'healthy',
    reason: null,
    sinceMs: nowMs,
    consecutiveFailures: 0,
    nextAttemptMs: null,
  };
}

/** Operator: `POST .../retry`, or a sign of life of the server: probe now, backoff reset. */
export function afterRetryNow(current: DestinationState, nowMs: number): DestinationState {
  if (current.state === 'unreachable') return { ...current, nextAttemptMs: nowMs };
  if (current.state === 'backing_off') return { ...current, nextAttemptMs: nowMs };
  return current;
}

/** Whether pages to a destination in this state may be claimed for an ordinary attempt. */
export function sendsPages(state: DestinationStateName): boolean {
  return state === 'healthy' || state === 'backing_off';
}

/**
 * When a page waiting for an unreachable destination gives up: `holdMs` after it began to
 * wait, which is the later of its creation and the destination becoming unreachable.
 */
export function holdEndsMs(
  pageCreatedMs: number,
  destination: DestinationState,
  policy: BreakerPolicy,
): number {
  return Math.max(pageCreatedMs, destination.sinceMs) + policy.holdMs;
}

/** The final error of a page that will not be sent, or null if it may wait or go. */
export function pageVerdict(
  pageCreatedMs: number,
  destination: DestinationState,
  nowMs: number,
  policy: BreakerPolicy,
): 'delivery_stopped' | 'destination_unreachable' | null {
  if (destination.state === 'stopped') return 'delivery_stopped';
  if (
    destination.state === 'unreachable' &&
    nowMs >= holdEndsMs(pageCreatedMs, destination, policy)
  )
    return 'destination_unreachable';
  return null;
}

/** Whether the change from `before` to `after` is one an operator should see in the log. */
export function isStateChange(before: DestinationState, after: DestinationState): boolean {
  return before.state !== after.state;
}
