import type { Peer, PeerEndpoints } from '@pager/internal-api';

/**
 * One entry of `GET /api/v1/peers` (SERVICES.md): the very type the internal API client
 * reads (`Peer` of @pager/internal-api), so both sides agree. `pin: 'pending'` only in
 * `?pin=pending` listings.
 */
export type PeerView = Peer;

/** What an entry is made from: a stored peer row, or a pending server's newest announcement. */
export interface PeerSource {
  serverId: string;
  announcement: Record<string, unknown>;
  fingerprint: string;
  /** The announcement's timestamp, as it carries it. */
  timestamp: string;
}

/**
 * The `GET /api/v1/peers` entry of `source`: endpoints and capabilities from its
 * announcement, the reputation score (0 to 100, 100 when unknown, 0 when blocked). Pure.
 */
export function peerView(
  source: PeerSource,
  neighbor: boolean,
  blocked: ReadonlySet<string>,
  scores: ReadonlyMap<string, number>,
): PeerView {
  const isBlocked = blocked.has(source.serverId);
  return {
    server_id: source.serverId,
    // A verified announcement's endpoints (PROTOCOL §2 checked them before it was stored).
    endpoints: source.announcement['endpoints'] as PeerEndpoints,
    fingerprint: source.fingerprint,
    capabilities: source.announcement['capabilities'],
    timestamp: source.timestamp,
    neighbor,
    blocked: isBlocked,
    score: isBlocked ? 0 : (scores.get(source.serverId) ?? 100),
  };
}
