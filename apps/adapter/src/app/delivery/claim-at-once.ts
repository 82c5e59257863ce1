/**
 * Whether a federated page just accepted by `POST /api/v1/messages` is worth inserting
 * already claimed by this replica (`MessageStore.queueClaimed`) rather than queued for the
 * outbox poll: only while this replica delivers (not shutting down), has a free slot of its
 * own (`inFlight` < `maxInFlight`, the pages it runs at once) and runs fewer than
 * `perDestination` pages for the page's destination. This is the cheap in-process half;
 * the statement decides the rest under the claims' lock (breaker closed, cap over every
 * replica, no older page of the destination waiting) and queues the page otherwise.
 *
 * Under load (slots or the destination's cap taken) the answer is no, and pages are queued
 * and claimed in batches as before.
 */
export function mayClaimAtOnce(state: {
  stopping: boolean;
  inFlight: number;
  maxInFlight: number;
  inFlightForDestination: number;
  perDestination: number;
  /**
   * Attempts to unproven destinations this replica may still start (destination-rules.ts
   * `unprovenRoom`). Whether the page's destination has proven itself is only known to the
   * statement, so a page is claimed at once only while that share has room too: when
   * unproven destinations hold their whole share, pages are queued and the claim, which
   * knows, takes the proven ones.
   */
  unprovenRoom: number;
}): boolean {
  return (
    !state.stopping &&
    state.inFlight < state.maxInFlight &&
    state.inFlightForDestination < state.perDestination &&
    state.unprovenRoom > 0
  );
}
