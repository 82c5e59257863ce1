import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of the discovery daemon. Unqualified names: the search_path is the service schema. */
export class InitialDiscoverySchema1764200000000 implements MigrationInterface {
  name = 'InitialDiscoverySchema1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE peers (
        server_id text PRIMARY KEY,
        announcement jsonb NOT NULL,
        timestamp text NOT NULL,
        timestamp_ms bigint NOT NULL,
        fingerprint text NOT NULL,
        received_at timestamptz NOT NULL,
        last_seen timestamptz NOT NULL
      )`);
    await runner.query('CREATE INDEX peers_timestamp_ms_idx ON peers (timestamp_ms)');
    await runner.query(`
      CREATE TABLE pins (
        server_id text PRIMARY KEY,
        fingerprint text NOT NULL,
        public_key text NOT NULL,
        pinned_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE blocklist (
        server_id text PRIMARY KEY,
        reason text NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE reputation (
        server_id text PRIMARY KEY,
        reports integer NOT NULL DEFAULT 0,
        key_conflicts integer NOT NULL DEFAULT 0,
        invalid_announcements integer NOT NULL DEFAULT 0,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE reputation_reports (
        id bigserial PRIMARY KEY,
        server_id text NOT NULL,
        reason text NOT NULL,
        details text,
        created_at timestamptz NOT NULL
      )`);
    await runner.query(
      'CREATE INDEX reputation_reports_server_idx ON reputation_reports (server_id)',
    );
    await runner.query(`
      CREATE TABLE peer_candidates (
        url text PRIMARY KEY,
        server_id text,
        source text NOT NULL,
        added_at timestamptz NOT NULL,
        last_attempt_at timestamptz,
        last_success_at timestamptz,
        failures integer NOT NULL DEFAULT 0,
        last_error text
      )`);
    await runner.query(`
      CREATE TABLE gossip_exchanges (
        from_server text NOT NULL,
        gossip_id text NOT NULL,
        created_at timestamptz NOT NULL,
        pushed boolean NOT NULL DEFAULT false,
        PRIMARY KEY (from_server, gossip_id)
      )`);
    await runner.query(
      'CREATE INDEX gossip_exchanges_created_idx ON gossip_exchanges (created_at)',
    );
    await runner.query(`
      CREATE TABLE seen_queries (
        query_id text PRIMARY KEY,
        seen_at timestamptz NOT NULL
      )`);
    await runner.query('CREATE INDEX seen_queries_seen_idx ON seen_queries (seen_at)');
    await runner.query(`
      CREATE TABLE negative_cache (
        domain text PRIMARY KEY,
        cached_at timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'negative_cache',
      'seen_queries',
      'gossip_exchanges',
      'peer_candidates',
      'reputation_reports',
      'reputation',
      'blocklist',
      'pins',
      'peers',
    ]) {
      await runner.query(`DROP TABLE ${table}`);
    }
  }
}
