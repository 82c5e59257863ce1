import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NEGATIVE_CACHE_TTL_MS, SEEN_QUERY_TTL_MS } from '../core';

const PRUNE_EVERY_MS = 60_000;

/** Seen query ids (10 min) and unresolvable domains (60 s), shared by replicas. */
@Injectable()
export class QueryCacheStore {
  private lastPruneMs = 0;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Records `queryId`; true when it had been seen in the last 10 minutes already. */
  async markSeen(queryId: string): Promise<boolean> {
    await this.pruneNow();
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO seen_queries (query_id, seen_at) VALUES ($1, now())
       ON CONFLICT (query_id) DO UPDATE SET seen_at = now()
       WHERE seen_queries.seen_at < now() - make_interval(secs => $2)
       RETURNING query_id`,
      [queryId, SEEN_QUERY_TTL_MS / 1000],
    );
    return rows.length === 0;
  }

  async isNegative(domain: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM negative_cache WHERE domain = $1
       AND cached_at > now() - make_interval(secs => $2)`,
      [domain, NEGATIVE_CACHE_TTL_MS / 1000],
    );
    return rows.length > 0;
  }

  async addNegative(domain: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO negative_cache (domain, cached_at) VALUES ($1, now())
       ON CONFLICT (domain) DO UPDATE SET cached_at = now()`,
      [domain],
    );
  }

  async forgetNegative(domain: string): Promise<void> {
    await this.dataSource.query('DELETE FROM negative_cache WHERE domain = $1', [domain]);
  }

  private async pruneNow(): Promise<void> {
    const nowMs = Date.now();
    if (nowMs - this.lastPruneMs < PRUNE_EVERY_MS) return;
    this.lastPruneMs = nowMs;
    await this.dataSource.query(
      'DELETE FROM seen_queries WHERE seen_at < now() - make_interval(secs => $1)',
      [SEEN_QUERY_TTL_MS / 1000],
    );
    await this.dataSource.query(
      'DELETE FROM negative_cache WHERE cached_at < now() - make_interval(secs => $1)',
      [NEGATIVE_CACHE_TTL_MS / 1000],
    );
  }
}
