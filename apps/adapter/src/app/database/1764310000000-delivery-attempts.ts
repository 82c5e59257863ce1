import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The history of a page's delivery attempts (SERVICES.md, Destinations: start, duration,
 * HTTP status or network error, outcome), one row per request that left. Written by the
 * delivery outbox only.
 */
export class DeliveryAttempts1764310000000 implements MigrationInterface {
  name = 'DeliveryAttempts1764310000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE delivery_attempts (
        id bigserial PRIMARY KEY,
        message_row_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        probe boolean NOT NULL DEFAULT false,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        http_status integer,
        error text,
        outcome text NOT NULL,
        message_digest text
      )`);
    await runner.query(
      'CREATE INDEX delivery_attempts_by_message ON delivery_attempts (message_row_id, started_at)',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE delivery_attempts');
  }
}
