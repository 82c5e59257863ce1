import { Inject, Injectable } from '@nestjs/common';
import { JsonLogger } from '@pager/server-kit';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { DiscoveryMetrics } from '../metrics/discovery-metrics';
import { NeighbourSet } from '../peers/neighbour-set';
import { PeerStore } from '../peers/peer-store.service';
import {
  HeldEntry,
  Origin,
  RelayWindows,
  TableBoundPolicy,
  chooseEviction,
  decideAdmission,
  recordRelayed,
  relayedThisHour,
} from './table-bound';

const LOG_EVERY_MS = 60_000;
const STORED_REFRESH_MS = 60_000;

/**
 * Applies the table bound (table-bound.ts) with its I/O. What it remembers (the hourly
 * windows per neighbour, how each entry came, which servers our users contacted) lives in
 * this replica's memory, at most MAX_KNOWN_SERVERS entries each; after a restart, entries
 * stored before count as relayed and not contacted. Drops are counted in
 * `discovery_table_dropped_total{reason}` and logged at most once a minute.
 */
@Injectable()
export class TableBound {
  private windows: RelayWindows = new Map();
  private readonly held = new Map<string, { receivedAtMs: number; origin: Origin }>();
  private readonly contacted = new Set<string>();
  private readonly policy: TableBoundPolicy;
  private dropsSinceLog = 0;
  /** Ids and arrival times of the stored entries, read at most once a minute. */
  private stored: { atMs: number; entries: { serverId: string; receivedAt: Date }[] } | null = null;
  /** Dropped since `stored` was read. */
  private readonly evicted = new Set<string>();
  private lastLogMs = 0;

  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(PeerStore) private readonly peers: PeerStore,
    @Inject(NeighbourSet) private readonly neighbours: NeighbourSet,
    @Inject(DiscoveryMetrics) private readonly metrics: DiscoveryMetrics,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {
    this.policy = {
      maxKnownServers: config.maxKnownServers,
      relayedPerNeighbourPerHour: config.relayedServersPerNeighbourPerHour,
    };
  }

  /**
   * False when `neighbour` has used its hourly quota of new servers: the caller may drop a
   * relayed announcement of a server it does not hold before spending a signature check.
   */
  hasRelayQuota(neighbour: string, nowMs: number = Date.now()): boolean {
    return relayedThisHour(this.windows, neighbour, nowMs) < this.policy.relayedPerNeighbourPerHour;
  }

  /**
   * For a verified announcement of a server the table does not hold: true to store it (an
   * entry may have been dropped to make room), false when it is refused and counted.
   */
  async admit(
    serverId: string,
    origin: Origin,
    via: string | null,
    nowMs: number = Date.now(),
  ): Promise<boolean> {
    const relayed =
      origin === 'relay' && via !== null ? relayedThisHour(this.windows, via, nowMs) : 0;
    const tableSize = await this.peers.count();
    const full = tableSize >= this.policy.maxKnownServers;
    const evictable = full && origin !== 'relay' ? await this.evictionCandidate() : null;
    const decision = decideAdmission(
      { origin, relayedThisHour: relayed, tableSize, evictable },
      this.policy,
    );
    if (!decision.admit) {
      this.dropped(decision.reason, serverId, via, nowMs);
      return false;
    }
    if (decision.evict !== undefined) {
      await this.peers.remove([decision.evict]);
      this.held.delete(decision.evict);
      this.evicted.add(decision.evict);
      this.metrics.tableDropped.inc({ reason: 'evicted' });
    }
    if (origin === 'relay' && via !== null) this.windows = recordRelayed(this.windows, via, nowMs);
    this.remember(this.held, serverId, { receivedAtMs: nowMs, origin });
    return true;
  }

  /** Counts a relayed announcement dropped before verification (quota used). */
  droppedUnverified(serverId: unknown, via: string, nowMs: number = Date.now()): void {
    this.dropped('neighbour_quota', typeof serverId === 'string' ? serverId : '?', via, nowMs);
  }

  /** Our users routed to `serverId`: it is kept before others when the table is full. */
  markContacted(serverId: string): void {
    this.contacted.delete(serverId);
    this.contacted.add(serverId);
    if (this.contacted.size > this.policy.maxKnownServers) {
      this.contacted.delete(this.contacted.values().next().value as string);
    }
  }

  private async evictionCandidate(): Promise<string | null> {
    const neighbours = new Set(this.neighbours.list());
    const entry = (serverId: string, receivedAtMs: number, origin: Origin): HeldEntry => ({
      serverId,
      receivedAtMs,
      origin,
      contactedByUsers: this.contacted.has(serverId),
      neighbour: neighbours.has(serverId),
    });
    // Entries stored before this process started are not in `held`: read them, at most once
    // a minute (a full table read per direct newcomer would itself be a cost to flood).
    const nowMs = Date.now();
    if (this.stored === null || nowMs - this.stored.atMs >= STORED_REFRESH_MS) {
      const rows = await this.peers.all();
      this.evicted.clear();
      this.stored = {
        atMs: nowMs,
        entries: rows.map((p) => ({ serverId: p.serverId, receivedAt: p.receivedAt })),
      };
    }
    const stored = this.stored.entries.filter((p) => !this.evicted.has(p.serverId));
    return chooseEviction(
      stored.map((p) => {
        const known = this.held.get(p.serverId);
        return known
          ? entry(p.serverId, known.receivedAtMs, known.origin)
          : entry(p.serverId, p.receivedAt.getTime(), 'relay');
      }),
      this.config.serverId,
    );
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.policy.maxKnownServers) map.delete(map.keys().next().value as string);
  }

  private dropped(reason: string, serverId: string, via: string | null, nowMs: number): void {
    this.metrics.tableDropped.inc({ reason });
    this.dropsSinceLog++;
    if (nowMs - this.lastLogMs < LOG_EVERY_MS) return;
    this.lastLogMs = nowMs;
    this.logger.event(
      'discovery.table_bound_dropped',
      { reason, server_id: serverId, via, dropped: this.dropsSinceLog, policy: this.policy },
      'warn',
    );
    this.dropsSinceLog = 0;
  }
}
