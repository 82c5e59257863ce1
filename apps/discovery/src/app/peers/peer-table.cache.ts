import { Inject, Injectable, Optional } from '@nestjs/common';
import { GossipTable, expire, oldestTimestampMs } from '@pager/gossip-core';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { ChangeFeed } from '../database/change-feed';
import { PeerStore } from './peer-store.service';

/**
 * The table gossip shares (live, unblocked entries, the own one included) as a
 * `GossipTable`, whose bucket hashes and digest are computed once and kept. Reloaded from
 * PostgreSQL only when the peers or the blocklist changed, on this replica or another: heard
 * by the `ChangeFeed` (no statement at all) or, while it does not listen, read from
 * `PeerStore.tableVersion()` (one small query); entries that aged past the TTL since the
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
    @Optional() @Inject(ChangeFeed) private readonly feed?: Pick<ChangeFeed, 'generation'>,
  ) {}

  /** The current shareable table at `nowMs`. */
  async table(nowMs: number = Date.now()): Promise<GossipTable> {
    const version = await this.version();
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

  /**
   * The timestamp (ms) of `serverId`'s entry in the cached table while that table is still
   * current by the change feed: no statement, the same value as its `peers` row. Undefined
   * when not known so (no table cached, the feed not listening, a change since, or the
   * server not in the table: unknown, expired or blocked): then ask `PeerStore.timestampOf`.
   */
  heldTimestampMs(serverId: string): number | undefined {
    const cached = this.cached;
    if (cached === null || cached.version !== this.feedVersion()) return undefined;
    return cached.table.get(serverId)?.timestampMs;
  }

  /** Forgets the cached table (after a write this replica made and must see at once). */
  invalidate(): void {
    this.cached = null;
  }

  /**
   * The version of the shareable table: while the change feed listens, its generations of
   * `peers` and `blocklist` (no statement); otherwise `PeerStore.tableVersion()`.
   */
  private async version(): Promise<string> {
    return this.feedVersion() ?? this.peers.tableVersion();
  }

  /** The version by the change feed's generations, or null while it does not listen. */
  private feedVersion(): string | null {
    const peers = this.feed?.generation('peers') ?? null;
    const blocklist = this.feed?.generation('blocklist') ?? null;
    return peers !== null && blocklist !== null ? `feed:${peers}/${blocklist}` : null;
  }

  private async load(nowMs: number, version: string): Promise<GossipTable> {
    const entries = await this.peers.shareableTable(nowMs, this.config.announcementTtlMs);
    const table = new GossipTable(entries.values());
    this.loads++;
    this.cached = { table, version, oldestMs: oldestTimestampMs(table, this.config.serverId) };
    return table;
  }
}
