import { formatProtocolTimestamp } from '@pager/protocol';
import type { PendingPeer } from '../pins/pin-store.service';
import type { PeerListQuery, PeerPage } from './peers.service';
import { peerView } from './peer-view';

/**
 * One page of `GET /api/v1/peers?pin=pending`, the same way as the stored peers: server_id
 * order, `limit` entries after the cursor (`after`), `prefix` and `blocked` filters; a
 * pending server is never a neighbour (nothing is sent to it), so `neighbor=true` finds none.
 * `scores` are reputation scores (0 to 100; 100 when absent; 0 when blocked). Pure.
 *
 * @param pending the pending servers, in any order
 * @param encodeCursor the cursor of a page ending at a server_id
 */
export function pendingPeerPage(
  pending: readonly PendingPeer[],
  query: PeerListQuery,
  limit: number,
  blocked: ReadonlySet<string>,
  scores: ReadonlyMap<string, number>,
  encodeCursor: (serverId: string) => string,
): PeerPage {
  const matching = [...pending]
    .sort((a, b) => (a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0))
    .filter(
      (p) =>
        (query.after === undefined || p.serverId > query.after) &&
        (query.prefix === undefined || p.serverId.startsWith(query.prefix)) &&
        (query.blocked === undefined || blocked.has(p.serverId) === query.blocked) &&
        query.neighbor !== true,
    );
  const page = matching.slice(0, limit);
  const more = matching.length > limit;
  return {
    peers: page.map((p) => ({
      ...peerView(
        {
          serverId: p.serverId,
          announcement: p.announcement,
          fingerprint: p.fingerprint,
          timestamp:
            typeof p.announcement['timestamp'] === 'string'
              ? p.announcement['timestamp']
              : formatProtocolTimestamp(p.timestampMs),
        },
        false,
        blocked,
        scores,
      ),
      pin: 'pending' as const,
    })),
    next_cursor: more ? encodeCursor(page[page.length - 1].serverId) : null,
  };
}
