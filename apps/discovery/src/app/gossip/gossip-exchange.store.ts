import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A `gossip_push` must follow its `gossip` within this long. */
export const EXCHANGE_TTL_MS = 60_000;

/** Exchanges peers started with us, in PostgreSQL so the push may reach another replica. */
@Injectable()
export class GossipExchangeStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** False when this (from, gossip_id) was used already. */
  async open(from: string, gossipId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO gossip_exchanges (from_server, gossip_id, created_at, pushed)
       VALUES ($1, $2, now(), false) ON CONFLICT DO NOTHING RETURNING gossip_id`,
      [from, gossipId],
    );
    return rows.length > 0;
  }

  /** Claims the exchange for its one push; false when unknown, expired or pushed already. */
  async claimPush(from: string, gossipId: string): Promise<boolean> {
    const result: [unknown[], number] = await this.dataSource.query(
      `UPDATE gossip_exchanges SET pushed = true
       WHERE from_server = $1 AND gossip_id = $2 AND NOT pushed
         AND created_at > now() - make_interval(secs => $3)`,
      [from, gossipId, EXCHANGE_TTL_MS / 1000],
    );
    return result[1] === 1;
  }

  async prune(): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM gossip_exchanges WHERE created_at < now() - make_interval(secs => $1)`,
      [(EXCHANGE_TTL_MS * 10) / 1000],
    );
  }
}
