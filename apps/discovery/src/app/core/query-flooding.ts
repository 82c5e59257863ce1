/**
 * Domain resolution by query flooding (docs/protocol.md §8): what a receiver does with a
 * query, and to whom it passes it on. The service keeps the seen-ids and negative caches
 * and does the HTTP; no timers here, the caller prunes with `pruneSeen` when it likes.
 */

/** A `query_id` seen within this long is answered `found: false` at once. */
export const SEEN_QUERY_TTL_MS = 10 * 60_000;
/** A domain that could not be resolved stays cached negatively this long. */
export const NEGATIVE_CACHE_TTL_MS = 60_000;

export type QueryDecision = 'answer' | 'already_seen' | 'negative' | 'forward' | 'not_found';

export interface QueryInput {
  /** The queried server_id. */
  domain: string;
  /** `max_hops` as received (the DTO has checked 1 to 5). */
  maxHops: number;
  queryId: string;
  /** Our own server_id: a query for it is always answered. */
  self: string;
  /** We hold a valid, unexpired, unblocked announcement of `domain`. */
  knowsDomain: boolean;
  /** `queryId` was seen in the last SEEN_QUERY_TTL_MS. */
  seenRecently: boolean;
  /** `domain` is in the negative cache. */
  negativeCached: boolean;
}

/**
 * In this order: a receiver that knows the domain (or is it) answers, whatever else holds;
 * a query id seen recently gets `found: false` at once (this is what stops the flood from
 * looping); a negatively cached domain gets `found: false` without forwarding; with hops
 * left it is forwarded; otherwise not found.
 */
export function decideQuery(input: QueryInput): QueryDecision {
  if (input.knowsDomain || input.domain.toLowerCase() === input.self.toLowerCase()) {
    return 'answer';
  }
  if (input.seenRecently) return 'already_seen';
  if (input.negativeCached) return 'negative';
  if (input.maxHops > 1) return 'forward';
  return 'not_found';
}

/** Neighbours to forward a query to: never back to `from` or the `requester`, nor to us. */
export function forwardTargets(
  neighbours: readonly string[],
  from: string,
  requester: string,
  self: string,
): string[] {
  const excluded = new Set([from, requester, self]);
  return [...new Set(neighbours)].filter((id) => !excluded.has(id));
}

/** `max_hops` for a forwarded query. */
export function forwardedMaxHops(maxHops: number): number {
  return Math.max(0, Math.floor(maxHops) - 1);
}

/** True when `key` (a query id or a domain) was stamped less than `ttlMs` before `nowMs`. */
export function isFresh(
  stamps: ReadonlyMap<string, number>,
  key: string,
  nowMs: number,
  ttlMs: number,
): boolean {
  const stampedAtMs = stamps.get(key);
  return stampedAtMs !== undefined && nowMs - stampedAtMs < ttlMs;
}

/**
 * Removes, in place, the entries stamped `ttlMs` or more before `nowMs` from a map of
 * key → stamp time (seen query ids, negative cache). Returns how many went. It mutates the
 * map the caller owns rather than copying it, since it runs on every query under load.
 */
export function pruneSeen(stamps: Map<string, number>, nowMs: number, ttlMs: number): number {
  let removed = 0;
  for (const [key, stampedAtMs] of stamps) {
    if (nowMs - stampedAtMs >= ttlMs) {
      stamps.delete(key);
      removed++;
    }
  }
  return removed;
}
