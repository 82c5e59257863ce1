import { Inject, Injectable, Optional } from '@nestjs/common';
import { ProtocolError } from '@pager/protocol';
import { DataSource } from 'typeorm';
import { DISCOVERY_CONFIG, DiscoveryConfig } from '../config/discovery-config';
import { ChangeFeed } from '../database/change-feed';
import { BlockRecord } from './blocklist.entity';

export interface BlockEntry {
  server_id: string;
  reason: string;
  created_at: string;
}

/** The operator's blocklist. A blocked server is not gossiped with, stored or passed on. */
@Injectable()
export class BlocklistService {
  private readonly listeners: ((serverId: string) => void)[] = [];
  /** The whole blocklist as read at a generation of the change feed (it is small). */
  private cached: { generation: number; ids: Set<string> } | null = null;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DISCOVERY_CONFIG) private readonly config: Pick<DiscoveryConfig, 'serverId'>,
    @Optional()
    @Inject(ChangeFeed)
    private readonly feed?: Pick<ChangeFeed, 'generation' | 'changed'>,
  ) {}

  /** Called with the server id whenever a server gets blocked (neighbours drop it). */
  onBlocked(listener: (serverId: string) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Whether `serverId` is blocked. While the change feed listens, answered from the whole
   * blocklist read once per generation (a block or unblock on any replica moves it on);
   * otherwise one indexed SELECT.
   */
  async isBlocked(serverId: string): Promise<boolean> {
    const generation = this.feed?.generation('blocklist') ?? null;
    if (generation !== null) {
      if (this.cached?.generation !== generation) {
        const ids = await this.blockedIds();
        if (this.feed?.generation('blocklist') !== generation) return ids.has(serverId);
        this.cached = { generation, ids };
      }
      return this.cached.ids.has(serverId);
    }
    const rows: unknown[] = await this.dataSource.query(
      'SELECT 1 FROM blocklist WHERE server_id = $1',
      [serverId],
    );
    return rows.length > 0;
  }

  async blockedIds(): Promise<Set<string>> {
    const rows: { server_id: string }[] = await this.dataSource.query(
      'SELECT server_id FROM blocklist',
    );
    return new Set(rows.map((r) => r.server_id));
  }

  async list(): Promise<{ blocked: BlockEntry[] }> {
    const rows = await this.dataSource
      .getRepository(BlockRecord)
      .find({ order: { createdAt: 'ASC', serverId: 'ASC' } });
    return { blocked: rows.map(toEntry) };
  }

  /**
   * Blocks (or re-words the reason of an existing block). Throws 400 validation_failed for
   * our own server id: blocking ourselves would refuse our own announcement and routes.
   */
  async block(serverId: string, reason: string): Promise<BlockEntry> {
    if (serverId === this.config.serverId) {
      throw new ProtocolError(
        'validation_failed',
        `server_id: ${serverId} is this server; a server cannot block itself`,
      );
    }
    const rows: { server_id: string; reason: string; created_at: Date }[] =
      await this.dataSource.query(
        `INSERT INTO blocklist (server_id, reason, created_at) VALUES ($1, $2, now())
         ON CONFLICT (server_id) DO UPDATE SET reason = EXCLUDED.reason
         RETURNING server_id, reason, created_at`,
        [serverId, reason],
      );
    this.feed?.changed('blocklist');
    for (const listener of this.listeners) listener(serverId);
    const row = rows[0];
    return {
      server_id: row.server_id,
      reason: row.reason,
      created_at: row.created_at.toISOString(),
    };
  }

  async unblock(serverId: string): Promise<void> {
    const result: [unknown[], number] = await this.dataSource.query(
      'DELETE FROM blocklist WHERE server_id = $1',
      [serverId],
    );
    this.feed?.changed('blocklist');
    if (result[1] === 0) throw new ProtocolError('not_found', `${serverId} is not blocked`);
  }
}

function toEntry(row: BlockRecord): BlockEntry {
  return { server_id: row.serverId, reason: row.reason, created_at: row.createdAt.toISOString() };
}
