import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeerEntry } from '@pager/gossip-core';
import { ChangeFeed } from '../database/change-feed';
import { PeerRecord } from './peer.entity';

interface PeerRow {
  server_id: string;
  announcement: Record<string, unknown>;
  timestamp: string;
  timestamp_ms: string;
  fingerprint: string;
  received_at: Date;
  last_seen: Date;
}

/**
 * The announcements this daemon holds, in PostgreSQL so that replicas and restarts share them.
 * Owner of `peers` and reader of `peers_version` (written only by the triggers on `peers`).
 */
@Injectable()
export class PeerStore {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Optional() @Inject(ChangeFeed) private readonly feed?: Pick<ChangeFeed, 'changed'>,
  ) {}

  /**
   * Stores an announcement if it is newer than the one held. True when it was written; the
   * condition in the upsert keeps concurrent writers (replicas) from going backwards.
   */
  async upsertIfNewer(
    entry: PeerEntry,
    fingerprint: string,
    options: { force?: boolean } = {},
  ): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO peers (server_id, announcement, timestamp, timestamp_ms, fingerprint, received_at, last_seen)
       VALUES ($1, $2::jsonb, $3, $4, $5, now(), now())
       ON CONFLICT (server_id) DO UPDATE SET
         announcement = EXCLUDED.announcement, timestamp = EXCLUDED.timestamp,
         timestamp_ms = EXCLUDED.timestamp_ms, fingerprint = EXCLUDED.fingerprint,
         received_at = EXCLUDED.received_at, last_seen = EXCLUDED.last_seen
       WHERE $6 OR peers.timestamp_ms < EXCLUDED.timestamp_ms
       RETURNING server_id`,
      [
        entry.serverId,
        JSON.stringify(entry.announcement),
        entry.timestamp,
        entry.timestampMs,
        fingerprint,
        options.force === true,
      ],
    );
    if (rows.length > 0) this.feed?.changed('peers');
    return rows.length > 0;
  }

  /** The held entry's timestamp in ms, or null. */
  async timestampOf(serverId: string): Promise<number | null> {
    const rows: { timestamp_ms: string }[] = await this.dataSource.query(
      'SELECT timestamp_ms FROM peers WHERE server_id = $1',
      [serverId],
    );
    return rows.length === 0 ? null : Number(rows[0].timestamp_ms);
  }

  async get(serverId: string): Promise<PeerRecord | null> {
    return this.dataSource.getRepository(PeerRecord).findOneBy({ serverId });
  }

  /** Every stored entry, blocked and expired ones included (for the operator's listing). */
  async all(): Promise<PeerRecord[]> {
    return this.dataSource.getRepository(PeerRecord).find({ order: { serverId: 'ASC' } });
  }

  /**
   * The table gossip shares: entries not blocked and not older than `ttlMs`, the own one
   * included.
   */
  async shareableTable(nowMs: number, ttlMs: number): Promise<Map<string, PeerEntry>> {
    const rows: PeerRow[] = await this.dataSource.query(
      `SELECT server_id, announcement, timestamp, timestamp_ms, received_at FROM peers
       WHERE timestamp_ms >= $1 AND server_id NOT IN (SELECT server_id FROM blocklist)`,
      [nowMs - ttlMs],
    );
    const table = new Map<string, PeerEntry>();
    for (const row of rows) {
      table.set(row.server_id, {
        serverId: row.server_id,
        timestamp: row.timestamp,
        timestampMs: Number(row.timestamp_ms),
        announcement: row.announcement,
        receivedAtMs: row.received_at.getTime(),
      });
    }
    return table;
  }

  /**
   * One page of entries in server_id order, after `after` (exclusive), at most `limit`,
   * leaving out `exceptId` (the own entry); optionally only blocked / not blocked ones,
   * only ids in `onlyIds` (neighbours), or ids starting with `prefix`.
   */
  async page(options: {
    after: string | null;
    limit: number;
    exceptId: string;
    blocked?: boolean;
    onlyIds?: string[];
    prefix?: string;
  }): Promise<PeerRecord[]> {
    const where = ['server_id <> $1'];
    const params: unknown[] = [options.exceptId];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (options.after !== null) add('server_id COLLATE "C" > ?', options.after);
    if (options.onlyIds !== undefined) add('server_id = ANY(?)', options.onlyIds);
    // starts_with: no LIKE pattern characters to escape.
    if (options.prefix !== undefined) add('starts_with(server_id, ?)', options.prefix);
    if (options.blocked !== undefined) {
      where.push(
        `${options.blocked ? '' : 'NOT '}EXISTS (SELECT 1 FROM blocklist b WHERE b.server_id = peers.server_id)`,
      );
    }
    params.push(options.limit);
    const rows: PeerRow[] = await this.dataSource.query(
      `SELECT * FROM peers WHERE ${where.join(' AND ')} ORDER BY server_id COLLATE "C"
       LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  /**
   * A cheap fingerprint of the shareable table: changes whenever an entry is stored,
   * replaced or removed (`peers_version`, bumped by triggers in the writer's transaction,
   * on any replica), or the blocklist changes. One row read plus the (small) blocklist's
   * count and latest `created_at`; never a scan of `peers`.
   */
  async tableVersion(): Promise<string> {
    const rows: { v: string; b: string; c: Date | null }[] = await this.dataSource.query(
      `SELECT v.version AS v, (SELECT count(*) FROM blocklist) AS b,
              (SELECT max(created_at) FROM blocklist) AS c
       FROM peers_version v`,
    );
    const row = rows[0];
    return `${row.v}/${row.b}/${row.c?.getTime() ?? 0}`;
  }

  /** A live, unblocked entry, or null. */
  async live(serverId: string, nowMs: number, ttlMs: number): Promise<PeerRecord | null> {
    const rows: PeerRow[] = await this.dataSource.query(
      `SELECT * FROM peers WHERE server_id = $1 AND timestamp_ms >= $2
       AND NOT EXISTS (SELECT 1 FROM blocklist b WHERE b.server_id = peers.server_id)`,
      [serverId, nowMs - ttlMs],
    );
    return rows.length === 0 ? null : toRecord(rows[0]);
  }

  async touch(serverId: string): Promise<void> {
    await this.dataSource.query('UPDATE peers SET last_seen = now() WHERE server_id = $1', [
      serverId,
    ]);
  }

  /**
   * Deletes the entries whose announcement timestamp is before `cutoffMs`, except
   * `exceptId` (the own one) and blocked ones (they stay listed); returns their ids. The
   * rule of the core's `expire`, applied to the stored table.
   */
  async removeOlderThan(cutoffMs: number, exceptId: string): Promise<string[]> {
    const [rows]: [{ server_id: string }[], number] = await this.dataSource.query(
      `DELETE FROM peers WHERE timestamp_ms < $1 AND server_id <> $2
       AND NOT EXISTS (SELECT 1 FROM blocklist b WHERE b.server_id = peers.server_id)
       RETURNING server_id`,
      [cutoffMs, exceptId],
    );
    if (rows.length > 0) this.feed?.changed('peers');
    return rows.map((r) => r.server_id).sort();
  }

  async remove(serverIds: string[]): Promise<void> {
    if (serverIds.length === 0) return;
    await this.dataSource.query('DELETE FROM peers WHERE server_id = ANY($1)', [serverIds]);
    this.feed?.changed('peers');
  }

  async count(): Promise<number> {
    const rows: { n: string }[] = await this.dataSource.query('SELECT count(*) AS n FROM peers');
    return Number(rows[0].n);
  }
}

function toRecord(row: PeerRow): PeerRecord {
  return Object.assign(new PeerRecord(), {
    serverId: row.server_id,
    announcement: row.announcement,
    timestamp: row.timestamp,
    timestampMs: Number(row.timestamp_ms),
    fingerprint: row.fingerprint,
    receivedAt: row.received_at,
    lastSeen: row.last_seen,
  });
}
