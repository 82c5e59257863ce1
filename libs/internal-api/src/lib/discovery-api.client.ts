import { seg } from './http-json-client';
import { ServiceApiClient } from './service-api.client';
import type {
  Announcement,
  BlockEntry,
  BlocklistAnswer,
  Peer,
  PeerFile,
  PeerImportAnswer,
  PeersAnswer,
  PeersQuery,
  PinHistoryAnswer,
  PinsAnswer,
  ReputationAnswer,
  ReputationReportRequest,
  RouteAnswer,
} from './types';

/** At most this many pages are followed by `allPeers` (a lying cursor cannot loop us). */
export const MAX_PEER_PAGES = 1000;

/** Typed calls of the discovery daemon's internal API (SERVICES.md, Discovery daemon). */
export class DiscoveryApiClient extends ServiceApiClient {
  /** `POST /api/v1/announce`: re-sign and push the own announcement now. */
  announce(): Promise<Announcement> {
    return this.http.request('POST', '/api/v1/announce');
  }

  /** One page of `GET /api/v1/peers` (the whole list where the daemon does not page). */
  peers(query: PeersQuery = {}): Promise<PeersAnswer> {
    return this.http.request('GET', '/api/v1/peers', {
      query: { limit: query.limit, cursor: query.cursor, pin: query.pin },
    });
  }

  /**
   * Every peer, following `next_cursor` (at most MAX_PEER_PAGES pages); with `pin:
   * 'pending'` every server whose key awaits confirmations instead.
   */
  async allPeers(pageSize?: number, pin?: PeersQuery['pin']): Promise<Peer[]> {
    const all: Peer[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PEER_PAGES; page++) {
      const answer = await this.peers({ limit: pageSize, cursor, pin });
      all.push(...answer.peers);
      if (!answer.next_cursor) return all;
      cursor = answer.next_cursor;
    }
    return all;
  }

  /** `POST /api/v1/route/{domain}`; `404 domain_not_found` throws InternalApiError. */
  route(domain: string): Promise<RouteAnswer> {
    return this.http.request('POST', `/api/v1/route/${seg(domain)}`);
  }

  /** `POST /api/v1/reputation/report` (`201`). */
  report(report: ReputationReportRequest): Promise<unknown> {
    return this.http.request('POST', '/api/v1/reputation/report', { body: report });
  }

  /** `GET /api/v1/reputation/{server_id}`. */
  reputation(serverId: string): Promise<ReputationAnswer> {
    return this.http.request('GET', `/api/v1/reputation/${seg(serverId)}`);
  }

  blocklist(): Promise<BlocklistAnswer> {
    return this.http.request('GET', '/api/v1/blocklist');
  }

  /** `PUT /api/v1/blocklist/{server_id}` with `{ reason }`. */
  block(serverId: string, reason: string): Promise<BlockEntry> {
    return this.http.request('PUT', `/api/v1/blocklist/${seg(serverId)}`, { body: { reason } });
  }

  /** `DELETE /api/v1/blocklist/{server_id}` (`204`). */
  async unblock(serverId: string): Promise<void> {
    await this.http.request('DELETE', `/api/v1/blocklist/${seg(serverId)}`);
  }

  /** `POST /api/v1/peers/import` with a peer exchange file (PROTOCOL.md section 8). */
  importPeers(file: unknown): Promise<PeerImportAnswer> {
    return this.http.request('POST', '/api/v1/peers/import', { body: file });
  }

  exportPeers(): Promise<PeerFile> {
    return this.http.request('GET', '/api/v1/peers/export');
  }

  /** `DELETE /api/v1/pins/{server_id}` (`204`). */
  /** `GET /api/v1/pins`: pinned keys and servers pending confirmation. */
  pins(): Promise<PinsAnswer> {
    return this.http.request('GET', '/api/v1/pins');
  }

  /** `GET /api/v1/pins/{server_id}/history`: the server's pin history entries. */
  pinHistory(serverId: string): Promise<PinHistoryAnswer> {
    return this.http.request('GET', `/api/v1/pins/${seg(serverId)}/history`);
  }

  async forgetPin(serverId: string): Promise<void> {
    await this.http.request('DELETE', `/api/v1/pins/${seg(serverId)}`);
  }

  /** The public `GET {discovery path}/announcement`: this server's own announcement. */
  ownAnnouncement(publicPath = '/discovery'): Promise<Announcement> {
    return this.http.request('GET', `${publicPath.replace(/\/+$/, '')}/announcement`);
  }
}
