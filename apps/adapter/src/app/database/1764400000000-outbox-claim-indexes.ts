import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes that bound the cost of an outbox claim (`MessageStore.claimDue`) by the
 * per-destination cap instead of the length of the queue:
 *
 * - `messages_outbox_due_by_destination` (destination, next_attempt_at, id) over the pages
 *   still queued or sending: a claim finds the destinations with waiting pages by a loose
 *   index scan, then reads each one's due pages in their turn order, stopping at the room the
 *   cap leaves (`LATERAL … LIMIT`).
 * - `messages_outbox_in_flight` (destination, next_attempt_at) over the pages holding a claim:
 *   the count of a destination's live claims reads at most its in-flight pages, not its
 *   pages waiting for a retry.
 *
 * They replace `messages_outbox_due` (next_attempt_at), which only the former claim read.
 */
export class OutboxClaimIndexes1764400000000 implements MigrationInterface {
  name = 'OutboxClaimIndexes1764400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      "CREATE INDEX messages_outbox_due_by_destination ON messages (destination, next_attempt_at, id) WHERE status IN ('queued', 'sending')",
    );
    await runner.query(
      "CREATE INDEX messages_outbox_in_flight ON messages (destination, next_attempt_at) WHERE status = 'sending' AND claim_token IS NOT NULL",
    );
    await runner.query('DROP INDEX messages_outbox_due');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(
      "CREATE INDEX messages_outbox_due ON messages (next_attempt_at) WHERE status IN ('queued', 'sending')",
    );
    await runner.query('DROP INDEX messages_outbox_in_flight');
    await runner.query('DROP INDEX messages_outbox_due_by_destination');
  }
}
