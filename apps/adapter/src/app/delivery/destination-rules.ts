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

/**
 * The state after an attempt (or a probe) to the destination ended with `signal` at `nowMs`.
 * `pageRetryAtMs`: when the attempt's page goes again (retry-schedule.ts `retryAtMs`: the
 * retry delay, or the receiver's Retry-After, capped), if it does; a `backing_off`
 * destination's `nextAttemptMs` is then that time, so that the destination and its page
 * agree (a 429 with Retry-After too, which otherwise changes nothing). Without it, a
 * failure sets `nowMs + retryDelayMs` as before.
 */
export function afterAttempt(
  current: DestinationState,
  signal: AttemptSignal,
  error: string | null,
  nowMs: number,
  policy: BreakerPolicy,
  pageRetryAtMs?: number,
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
  if (signal === 'answered') {
    const answered = { ...current, lastError: error ?? current.lastError };
    return current.state === 'backing_off' && pageRetryAtMs !== undefined
      ? { ...answered, nextAttemptMs: pageRetryAtMs }
      : answered;
  }
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
    nextAttemptMs: pageRetryAtMs ?? nowMs + policy.retryDelayMs,
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

/**
 * Pages in flight at once (over all replicas) to a destination that has not proven itself:
 * one never acked yet (new), or whose last attempts failed (`consecutiveFailures` > 0:
 * backing off, or healthy with a failure since its last ack). A proven destination may have
 * up to `DELIVERY_DESTINATION_MAX_IN_FLIGHT`. So a server that accepts connections and never
 * answers holds at most this many of a replica's slots until its first timeout, then (as
 * backing_off, later unreachable: one probe) no more.
 */
export const UNPROVEN_MAX_IN_FLIGHT = 4;

/**
 * The share of a replica's slots (`MAX_IN_FLIGHT`) that attempts to unproven destinations
 * and probes of unreachable ones may hold together: however many such destinations there
 * are, the rest stays for destinations that ack, so dead or hostile servers cannot stall
 * pages to the others.
 */
export const UNPROVEN_SHARE_OF_SLOTS = 0.5;

/**
 * Whether a destination has proven itself (its last attempt that got an answer was acked and
 * nothing failed since): `healthy`, acked at least once, no failure in a row. `null`: no
 * state yet (never attempted), not proven. Mirrored in SQL by `PROVEN_DESTINATION_SQL`
 * (claims and the claim at acceptance); destination.store.integration-spec checks both agree.
 */
export function isProvenDestination(state: DestinationState | null): boolean {
  return (
    state !== null &&
    state.state === 'healthy' &&
    state.lastSuccessMs !== null &&
    state.consecutiveFailures === 0
  );
}

/**
 * The same predicate over the `destinations` row aliased `d` (NULL columns when there is no
 * row: not proven), for the claim statements.
 */
export const PROVEN_DESTINATION_SQL =
  "(d.state = 'healthy' AND d.last_success_at IS NOT NULL AND d.consecutive_failures = 0)";

/**
 * How many pages may be in flight at once to a destination (over all replicas):
 * `perDestination` (DELIVERY_DESTINATION_MAX_IN_FLIGHT) once it has proven itself
 * (`isProvenDestination`), else at most `UNPROVEN_MAX_IN_FLIGHT`.
 */
export function destinationCap(state: DestinationState | null, perDestination: number): number {
  return isProvenDestination(state)
    ? perDestination
    : Math.min(perDestination, UNPROVEN_MAX_IN_FLIGHT);
}

/**
 * Of a replica's `maxInFlight` slots, how many more attempts to unproven destinations (and
 * probes) it may start now: its share (`UNPROVEN_SHARE_OF_SLOTS`, at least one slot) minus
 * those in flight, never more than the free slots. Units: pages.
 */
export function unprovenRoom(slots: {
  maxInFlight: number;
  inFlight: number;
  unprovenInFlight: number;
}): number {
  const share = Math.max(1, Math.floor(slots.maxInFlight * UNPROVEN_SHARE_OF_SLOTS));
  return Math.max(0, Math.min(share - slots.unprovenInFlight, slots.maxInFlight - slots.inFlight));
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
