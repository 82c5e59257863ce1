/** How one delivery attempt ended, as far as the retry rules care (PROTOCOL.md section 5). */
export type AttemptOutcome =
  | { kind: 'delivered' }
  /** A signed, verified ack said `rejected`: final, never retried. */
  | { kind: 'rejected'; reason: string }
  /** Timeout, connection failure, 5xx, 429, an ack that does not verify, domain_not_found. */
  | { kind: 'transient'; error: string; retryAfterSeconds?: number }
  /** Any other 4xx: final. */
  | { kind: 'refused'; error: string }
  /** Our own daemon blocks the destination: nothing may be sent to it. */
  | { kind: 'destination_blocked' }
  /** Our daemon could not be reached: no attempt was made, none is spent. */
  | { kind: 'daemon_unavailable'; error: string };

export type NextStep =
  | { action: 'finish'; status: 'delivered' | 'rejected' | 'failed'; lastError: string | null }
  | { action: 'retry'; atMs: number; lastError: string }
  /** Try again at `atMs` without counting the attempt just claimed. */
  | { action: 'postpone'; atMs: number; lastError: string };

export interface RetryPolicy {
  retryDelayMs: number;
  deliveryAttempts: number;
  /**
   * DELIVERY_HOLD_MS: how long a page may wait for an unreachable destination. Caps a
   * receiver's Retry-After and bounds every retry (`retryAtMs`); unset: no such bound.
   */
  holdMs?: number;
}

/** A receiver's Retry-After is honoured up to this long (ms), never more (and never past DELIVERY_HOLD_MS). */
export const RETRY_AFTER_CAP_MS = 3_600_000;

/**
 * Beyond this many seconds a Retry-After is not a request to wait but garbage (a counter, a
 * timestamp sent as a delta, an overflow): ignored, the normal schedule applies.
 */
export const RETRY_AFTER_SANE_MAX_SECONDS = 366 * 86_400;

/**
 * The wait (ms) a receiver's Retry-After (`seconds`, from `parseRetryAfter`) earns: at most
 * `RETRY_AFTER_CAP_MS` (1 h) and at most `holdMs` (DELIVERY_HOLD_MS), so that a page never
 * waits out its hold on a receiver's say-so. Undefined (the normal schedule applies) for
 * garbage: absent, not a finite number, negative, or more than a year
 * (`RETRY_AFTER_SANE_MAX_SECONDS`). PROTOCOL.md §5 ("Honour Retry-After"), §7.
 */
export function clampRetryAfterMs(
  seconds: number | undefined,
  holdMs: number = Number.POSITIVE_INFINITY,
): number | undefined {
  if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
  if (seconds < 0 || seconds > RETRY_AFTER_SANE_MAX_SECONDS) return undefined;
  return Math.min(seconds * 1000, RETRY_AFTER_CAP_MS, Math.max(0, holdMs));
}

/**
 * When a page's next attempt goes (ms since the epoch): after RETRY_DELAY_MS, or after the
 * receiver's Retry-After if longer (`retryAfterMs`, already clamped by `clampRetryAfterMs`),
 * but never beyond `holdEndMs`, the end of the page's hold (destination-rules.ts `holdEndsMs`): a retry that
 * would fall after it goes at the hold end, the page's last chance, instead of the page
 * expiring unseen. Never before `nowMs`.
 */
export function retryAtMs(plan: {
  nowMs: number;
  retryDelayMs: number;
  retryAfterMs?: number;
  holdEndMs?: number;
}): number {
  const wanted = plan.nowMs + Math.max(plan.retryDelayMs, plan.retryAfterMs ?? 0);
  return withinHold(wanted, plan.nowMs, plan.holdEndMs);
}

/**
 * A retry time `atMs` moved to the hold's end `holdEndMs` if it falls after it (undefined: no
 * bound), and never before `nowMs`: the page's last chance comes before it would expire.
 */
export function withinHold(atMs: number, nowMs: number, holdEndMs: number | undefined): number {
  return Math.max(nowMs, Math.min(atMs, holdEndMs ?? Number.POSITIVE_INFINITY));
}

/** While the daemon is down, ask again soon: the page has not spent an attempt. */
export function daemonRetryDelayMs(policy: RetryPolicy): number {
  return Math.min(Math.max(policy.retryDelayMs, 200), 2_000);
}

/**
 * What follows attempt number `attempt` (1-based) that ended with `outcome` at `nowMs`.
 * Retries wait RETRY_DELAY_MS, or longer if the receiver asked so with Retry-After (at most
 * 1 h and DELIVERY_HOLD_MS: `clampRetryAfterMs`), never beyond `holdEndMs` (the page's hold
 * end, destination-rules.ts `holdEndsMs` once the breaker is open; default
 * `nowMs + policy.holdMs`, the soonest it can open): `retryAtMs`.
 */
export function nextStep(
  attempt: number,
  outcome: AttemptOutcome,
  nowMs: number,
  policy: RetryPolicy,
  holdEndMs: number | undefined = policy.holdMs === undefined ? undefined : nowMs + policy.holdMs,
): NextStep {
  switch (outcome.kind) {
    case 'delivered':
      return { action: 'finish', status: 'delivered', lastError: null };
    case 'rejected':
      return { action: 'finish', status: 'rejected', lastError: outcome.reason };
    case 'refused':
      return { action: 'finish', status: 'failed', lastError: outcome.error };
    case 'destination_blocked':
      return { action: 'finish', status: 'failed', lastError: 'blocked' };
    case 'daemon_unavailable':
      return {
        action: 'postpone',
        atMs: nowMs + daemonRetryDelayMs(policy),
        lastError: outcome.error,
      };
    case 'transient': {
      if (attempt >= policy.deliveryAttempts)
        return { action: 'finish', status: 'failed', lastError: outcome.error };
      return {
        action: 'retry',
        atMs: retryAtMs({
          nowMs,
          retryDelayMs: policy.retryDelayMs,
          retryAfterMs: clampRetryAfterMs(outcome.retryAfterSeconds, policy.holdMs),
          holdEndMs,
        }),
        lastError: outcome.error,
      };
    }
  }
}

/**
 * Seconds of a Retry-After header (RFC 9110 §10.2.3: delta-seconds or an HTTP date), as
 * sent: no cap here (`clampRetryAfterMs` decides what is honoured). Undefined when absent or
 * unreadable, and for an HTTP date that is not in the future (nothing to wait for).
 */
export function parseRetryAfter(header: unknown, nowMs: number): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  // An HTTP date names a weekday or a month: anything else (a bare "-5", "1.5") is garbage.
  if (!/[A-Za-z]{3}/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date) || date <= nowMs) return undefined;
  return Math.ceil((date - nowMs) / 1000);
}
