import { Inject, Injectable } from '@nestjs/common';
import { GossipTable, expire, oldestTimestampMs } from '@pager/gossip-core';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { PeerStore } from './peer-store.service';

/**
 * The table gossip shares (live, unblocked entries, the own one included) as a
 * `GossipTable`, whose bucket hashes and digest are computed once and kept. Reloaded from
 * PostgreSQL only when `PeerStore.tableVersion()` (one small query) says the peers or the
 * blocklist changed, on this replica or another; entries that aged past the TTL since the
 * load are dropped from it with the core's `expire`, scanned only once the oldest entry
 * can have aged out. With 10,000 servers a steady round thus reads a version, neither
 * 10,000 announcements from PostgreSQL nor 10,000 entries in memory.
 *
 * Callers must not modify the returned table.
 */
@Injectable()
export class PeerTableCache {
  private cached: { table: GossipTable; version: string; oldestMs: number } | null = null;
  private loading: Promise<GossipTable> | null = null;
  /** Loads from PostgreSQL since start (for metrics and benchmarks). */
  loads = 0;

  constructor(
    @Inject(DISCOVERY_CONFIG) private readonly config: DiscoveryConfig,
    @Inject(PeerStore) private readonly peers: PeerStore,
  ) {}

  /** The current shareable table at `nowMs`. */
  async table(nowMs: number = Date.now()): Promise<GossipTable> {
    const version = await this.peers.tableVersion();
    const cached = this.cached;
    if (cached !== null && cached.version === version) {
      const ttlMs = this.config.announcementTtlMs;
      if (nowMs - cached.oldestMs > ttlMs) {
        for (const id of expire(cached.table, nowMs, ttlMs, this.config.serverId)) {
          cached.table.delete(id);
        }
        cached.oldestMs = oldestTimestampMs(cached.table, this.config.serverId);
      }
      return cached.table;
    }
    // Concurrent callers share one load.
    this.loading ??= this.load(nowMs, version).finally(() => (this.loading = null));
    return this.loading;
  }

  /** Forgets the cached table (after a write this replica made and must see at once). */
  invalidate(): void {
    this.cached = null;
  }

  private async load(nowMs: number, version: string): Promise<GossipTable> {
    const entries = await this.peers.shareableTable(nowMs, this.config.announcementTtlMs);
    const table = new GossipTable(entries.values());
    this.loads++;
    this.cached = { table, version, oldestMs: oldestTimestampMs(table, this.config.serverId) };
    return table;
  }
}
