import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A `gossip_push` must follow its `gossip` within this long. */
export const EXCHANGE_TTL_MS = 60_000;

/**
 * Exchanges peers started with us, in PostgreSQL so the push may reach another replica (and
 * a gossip_id is refused on every replica once used: replay protection). Owner of
 * `gossip_exchanges`.
 *
 * One exception to "one owner per table", decided for the steady gossip round's CPU
 * (bench/discovery, issue 8: each statement costs the daemon a round trip): `openAndTouch`
 * also sets the sender's `peers.last_seen` in the same statement, a column nothing decides
 * on (the operator's listing shows it) and that `PeerStore` otherwise writes only in its
 * upsert. No other column of `peers` is written here.
 */
@Injectable()
export class GossipExchangeStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Opens the exchange of a received `gossip` and, when it was new, marks its (verified)
   * sender seen now (`peers.last_seen`, if the sender is stored): one round trip. False
   * when this (from, gossip_id) was used already (then nothing is touched).
   */
  async openAndTouch(from: string, gossipId: string): Promise<boolean> {
    const rows: { opened: boolean }[] = await this.dataSource.query(
      `WITH opened AS (
         INSERT INTO gossip_exchanges (from_server, gossip_id, created_at, pushed)
         VALUES ($1, $2, now(), false) ON CONFLICT DO NOTHING RETURNING from_server
       ), touched AS (
         UPDATE peers SET last_seen = now()
         WHERE server_id = $1 AND EXISTS (SELECT 1 FROM opened)
       )
       SELECT EXISTS (SELECT 1 FROM opened) AS opened`,
      [from, gossipId],
    );
    return rows[0]?.opened === true;
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
