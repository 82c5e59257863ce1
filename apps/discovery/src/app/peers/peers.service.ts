import { Inject, Injectable } from '@nestjs/common';
import {
  PROTOCOL_VERSION,
  PeerFile,
  PeerFileDto,
  formatProtocolTimestamp,
  assertSupportedVersion,
  isValidServerId,
  validateWire,
} from '@pager/protocol';
import { BlocklistService } from '../blocklist/blocklist.service';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { ReputationService } from '../reputation/reputation.service';
import { EndpointChecker } from '../shared/endpoint-checker';
import { requireValid } from '../shared/server-id-param';
import { CandidateStore } from './candidate-store.service';
import { NeighbourSet } from './neighbour-set';
import { PeerStore } from './peer-store.service';

export interface PeerView {
  server_id: string;
  endpoints: unknown;
  fingerprint: string;
  capabilities: unknown;
  timestamp: string;
  neighbor: boolean;
  blocked: boolean;
  score: number;
}

/** The operator's view of known servers, and peer exchange files in and out. */
@Injectable()
export class PeersService {
  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(NeighbourSet) private readonly neighbours: NeighbourSet,
    @Inject(CandidateStore) private readonly candidates: CandidateStore,
    @Inject(BlocklistService) private readonly blocklist: BlocklistService,
    @Inject(ReputationService) private readonly reputation: ReputationService,
    @Inject(EndpointChecker) private readonly endpoints: EndpointChecker,
  ) {}

  /** Every server we hold an announcement of (not ourselves), blocked ones flagged. */
  async list(): Promise<{ peers: PeerView[] }> {
    const [rows, blocked] = await Promise.all([this.peers.all(), this.blocklist.blockedIds()]);
    const scores = await this.reputation.scores(blocked);
    const neighbours = new Set(this.neighbours.list());
    return {
      peers: rows
        .filter((row) => row.serverId !== this.config.serverId)
        .map((row) => ({
          server_id: row.serverId,
          endpoints: row.announcement['endpoints'],
          fingerprint: row.fingerprint,
          capabilities: row.announcement['capabilities'],
          timestamp: row.timestamp,
          neighbor: neighbours.has(row.serverId),
          blocked: blocked.has(row.serverId),
          score: blocked.has(row.serverId) ? 0 : (scores.get(row.serverId) ?? 100),
        })),
    };
  }

  /** Takes the peers of a peer exchange file as candidates (no trust: each is verified later). */
  async import(body: unknown): Promise<{ accepted: number; rejected: number }> {
    assertSupportedVersion(body); // version first, then the schema (order of checks)
    const file = requireValid(validateWire(PeerFileDto, body));
    const blocked = await this.blocklist.blockedIds();
    let accepted = 0;
    let rejected = 0;
    for (const peer of file.peers) {
      const url = peer.endpoints.discovery.replace(/\/+$/, '');
      const ok =
        isValidServerId(peer.server_id) &&
        peer.server_id !== this.config.serverId &&
        !blocked.has(peer.server_id) &&
        (await this.endpoints.checkUrl(url, peer.server_id)).ok;
      if (ok) {
        await this.candidates.add(url, peer.server_id, 'import');
        accepted++;
      } else {
        rejected++;
      }
    }
    return { accepted, rejected };
  }

  /** A peer exchange file of the live, unblocked servers we know, ourselves included. */
  async export(): Promise<PeerFile> {
    const nowMs = Date.now();
    const table = await this.peers.shareableTable(nowMs, this.config.announcementTtlMs);
    const rows = await this.peers.all();
    const lastSeen = new Map(rows.map((r) => [r.serverId, r.lastSeen.getTime()]));
    const peers = [...table.values()]
      .sort((a, b) => (a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0))
      .flatMap((entry) => {
        const discovery = (
          entry.announcement['endpoints'] as Record<string, unknown> | undefined
        )?.['discovery'];
        if (typeof discovery !== 'string') return [];
        return [
          {
            server_id: entry.serverId,
            endpoints: { discovery },
            last_seen: formatProtocolTimestamp(lastSeen.get(entry.serverId) ?? entry.timestampMs),
          },
        ];
      });
    return {
      version: PROTOCOL_VERSION,
      peers,
      compiled_by: this.config.serverId,
      compiled_date: formatProtocolTimestamp(nowMs),
    };
  }
}
