import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An index on `peers.received_at`: `PeerStore.tableVersion()`, read several times per gossip
 * round, takes `max(received_at)`, which without it scanned every row (10,000 servers:
 * most of PostgreSQL's CPU per round in bench/discovery).
 */
export class PeersReceivedAtIndex1764590400000 implements MigrationInterface {
  name = 'PeersReceivedAtIndex1764590400000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE INDEX peers_received_at_idx ON peers (received_at)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX peers_received_at_idx');
  }
}
