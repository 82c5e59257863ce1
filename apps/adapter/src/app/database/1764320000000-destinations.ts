import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-destination delivery state, shared by the adapter's replicas (SERVICES.md,
 * Destinations): healthy, backing_off, unreachable (circuit breaker open), stopped (by an
 * operator). `version` lets replicas update a row without losing each other's changes.
 */
export class Destinations1764320000000 implements MigrationInterface {
  name = 'Destinations1764320000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE destinations (
        server_id text PRIMARY KEY,
        state text NOT NULL CHECK (state IN ('healthy', 'backing_off', 'unreachable', 'stopped')),
        reason text,
        since timestamptz NOT NULL,
        consecutive_failures integer NOT NULL DEFAULT 0,
        last_success_at timestamptz,
        last_error text,
        next_attempt_at timestamptz,
        version integer NOT NULL DEFAULT 0
      )`);
    await runner.query(
      "CREATE INDEX destinations_probe_due ON destinations (next_attempt_at) WHERE state = 'unreachable'",
    );
    await runner.query(
      "CREATE INDEX messages_outbox_by_destination ON messages (destination, created_at, id) WHERE status IN ('queued', 'sending')",
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX messages_outbox_by_destination');
    await runner.query('DROP TABLE destinations');
  }
}
