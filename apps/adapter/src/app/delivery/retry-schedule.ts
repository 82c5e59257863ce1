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
}

/** While the daemon is down, ask again soon: the page has not spent an attempt. */
export function daemonRetryDelayMs(policy: RetryPolicy): number {
  return Math.min(Math.max(policy.retryDelayMs, 200), 2_000);
}

/**
 * What follows attempt number `attempt` (1-based) that ended with `outcome` at `nowMs`.
 * Retries wait RETRY_DELAY_MS, or longer if the receiver asked so with Retry-After.
 */
export function nextStep(
  attempt: number,
  outcome: AttemptOutcome,
  nowMs: number,
  policy: RetryPolicy,
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
      const retryAfterMs = Math.max(0, outcome.retryAfterSeconds ?? 0) * 1000;
      return {
        action: 'retry',
        atMs: nowMs + Math.max(policy.retryDelayMs, retryAfterMs),
        lastError: outcome.error,
      };
    }
  }
}

/** Seconds of a Retry-After header (delta-seconds or an HTTP date); undefined if absent or bad. */
export function parseRetryAfter(header: unknown, nowMs: number): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Math.min(Number(value), 86_400);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, Math.ceil((date - nowMs) / 1000)), 86_400);
}
