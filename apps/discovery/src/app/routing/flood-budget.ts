/**
 * The budget of query floods started to resolve the sender of an inbound message (issue 9,
 * amplification). A message "from" a server we do not know makes the adapter ask us for its
 * route, and an unknown domain costs a flood: one query to every neighbour, each counted
 * against our per-sender query limit there (PROTOCOL.md section 7, 100 per hour by
 * default). Without a bound, hundreds of messages from invented domains would spend that
 * quota and our users' own look-ups would then be refused by our neighbours.
 *
 * Pure: the state is the list of floods allowed in the last hour, and the caller keeps it.
 * Look-ups the adapter makes for our own users (no client address) are not budgeted here.
 */

/** Limits, all counts of floods (not of route requests: cache hits cost nothing). */
export interface FloodBudgetPolicy {
  /** Floods one client address may cause per minute. */
  perClientPerMinute: number;
  /** Floods all clients together may cause per minute. */
  perMinute: number;
  /** Floods all clients together may cause per hour: keep it well under a neighbour's query limit. */
  perHour: number;
}

/** The floods allowed in the last hour, oldest first. */
export interface FloodBudgetState {
  floods: readonly { atMs: number; client: string }[];
}

export type FloodBudgetScope = 'client' | 'minute' | 'hour';

export type FloodBudgetDecision =
  | { allowed: true }
  /** `retryAfterMs`: when the oldest flood that fills the exhausted window leaves it. */
  | { allowed: false; scope: FloodBudgetScope; retryAfterMs: number };

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export const EMPTY_FLOOD_BUDGET: FloodBudgetState = { floods: [] };

/**
 * Whether `client` may cause one more flood at `nowMs`. Checked in order: the client's
 * minute, the global minute, the global hour (sliding windows over the recorded floods).
 */
export function decideFlood(
  state: FloodBudgetState,
  client: string,
  nowMs: number,
  policy: FloodBudgetPolicy,
): FloodBudgetDecision {
  const lastMinute = state.floods.filter((f) => nowMs - f.atMs < MINUTE_MS);
  const lastHour = state.floods.filter((f) => nowMs - f.atMs < HOUR_MS);
  const ofClient = lastMinute.filter((f) => f.client === client);
  const refuse = (
    scope: FloodBudgetScope,
    window: readonly { atMs: number }[],
    limit: number,
    spanMs: number,
  ): FloodBudgetDecision => {
    // The window empties enough once its (length - limit + 1)-th oldest entry has left it.
    const freeing = window[Math.max(0, window.length - limit)];
    const retryAfterMs =
      freeing === undefined ? spanMs : Math.max(1, freeing.atMs + spanMs - nowMs);
    return { allowed: false, scope, retryAfterMs };
  };
  if (ofClient.length >= policy.perClientPerMinute) {
    return refuse('client', ofClient, policy.perClientPerMinute, MINUTE_MS);
  }
  if (lastMinute.length >= policy.perMinute) {
    return refuse('minute', lastMinute, policy.perMinute, MINUTE_MS);
  }
  if (lastHour.length >= policy.perHour) return refuse('hour', lastHour, policy.perHour, HOUR_MS);
  return { allowed: true };
}

/** The state after a flood by `client` at `nowMs`; floods older than an hour are dropped. */
export function recordFlood(
  state: FloodBudgetState,
  client: string,
  nowMs: number,
): FloodBudgetState {
  return {
    floods: [...state.floods.filter((f) => nowMs - f.atMs < HOUR_MS), { atMs: nowMs, client }],
  };
}
