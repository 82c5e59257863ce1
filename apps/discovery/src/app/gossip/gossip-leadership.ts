import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger } from '@pager/server-kit';
import { DataSource, QueryRunner } from 'typeorm';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { releaseBroken } from '../database/release-broken';
import { DiscoveryMetrics } from '../metrics/discovery-metrics';

/** Follower replicas try for the lock this often: a quarter interval, at most 5 s. */
export function leadershipPollMs(intervalMs: number): number {
  return Math.max(50, Math.min(5_000, Math.floor(intervalMs / 4)));
}

/**
 * Which replica runs the gossip schedule (and the bootstrap contacts). Exactly one replica of
 * a server starts exchanges, so peers see one server's rate (PROTOCOL.md sections 3 and 7:
 * 120 exchanges per hour), however many replicas serve the endpoints.
 *
 * The holder keeps a session-level PostgreSQL advisory lock on a connection of its own
 * (`pg_try_advisory_lock(hashtext('pager-discovery-gossip:<schema>'))`). When its process
 * dies, PostgreSQL ends the session and frees the lock; a follower, trying every
 * `leadershipPollMs`, takes it within a quarter interval. The holder checks its connection
 * before each round: a lost connection (and with it the lock) makes it a follower at once.
 * Every replica serves the public and internal endpoints whatever it holds.
 */
@Injectable()
export class GossipLeadership implements OnApplicationShutdown {
  private runner: QueryRunner | null = null;
  private leader = false;
  private stopped = false;
  /** When the connection last confirmed the lock (ms). */
  private checkedAtMs = 0;
  private readonly lockName: string;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DISCOVERY_CONFIG) config: DiscoveryConfig,
    @Inject(DiscoveryMetrics) private readonly metrics: DiscoveryMetrics,
    @Inject(JsonLogger) private readonly logger: JsonLogger,
  ) {
    this.lockName = `pager-discovery-gossip:${config.databaseSchema}`;
    this.metrics.gossipLeader.set(0);
  }

  /**
   * Whether this replica holds the lock now; takes it when free. Never throws. `maxAgeMs`:
   * a holder whose connection confirmed the lock less than this long ago (ms) answers true
   * without a query (default 0: always checks).
   */
  async holds(maxAgeMs = 0): Promise<boolean> {
    if (this.stopped) return false;
    // A check this recent stands (the bootstrap scheduler reuses the gossip round's).
    if (this.leader && Date.now() - this.checkedAtMs < maxAgeMs) return true;
    try {
      if (this.runner === null) {
        const runner = this.dataSource.createQueryRunner();
        await runner.connect();
        this.runner = runner;
      }
      if (this.leader) {
        await this.runner.query('SELECT 1');
        this.checkedAtMs = Date.now();
        return true;
      }
      const rows: { locked: boolean }[] = await this.runner.query(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [this.lockName],
      );
      this.setLeader(rows[0]?.locked === true);
      this.checkedAtMs = Date.now();
    } catch (err) {
      await this.dropConnection(err as Error);
      this.setLeader(false, (err as Error).message);
    }
    return this.leader;
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** Frees the lock at once, so that another replica takes over without waiting for us. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    const runner = this.runner;
    this.runner = null;
    if (runner === null) return;
    try {
      if (this.leader) {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [this.lockName]);
      }
      await runner.release();
    } catch (err) {
      await releaseBroken(runner, err as Error);
    }
    this.setLeader(false, 'shutdown');
  }

  private setLeader(leader: boolean, reason?: string): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.metrics.gossipLeader.set(leader ? 1 : 0);
    this.logger.event(
      'discovery.gossip_leadership',
      { leader, ...(reason === undefined ? {} : { reason }) },
      leader ? 'info' : 'warn',
    );
  }

  private async dropConnection(err: Error): Promise<void> {
    const runner = this.runner;
    this.runner = null;
    if (runner !== null) await releaseBroken(runner, err);
  }
}
