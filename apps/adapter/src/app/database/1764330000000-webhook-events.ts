import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The webhook outbox: every notification for the pager tool (PAGER_WEBHOOK_URL) is a row,
 * posted after it is committed, retried with backoff, kept across crashes (at least once,
 * each with its `event_id`). Written by the webhooks module only.
 */
export class WebhookEvents1764330000000 implements MigrationInterface {
  name = 'WebhookEvents1764330000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE webhook_events (
        event_id uuid PRIMARY KEY,
        event text NOT NULL,
        body text NOT NULL,
        created_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        claim_token uuid,
        delivered_at timestamptz,
        last_error text
      )`);
    await runner.query(
      'CREATE INDEX webhook_events_due ON webhook_events (next_attempt_at) WHERE next_attempt_at IS NOT NULL',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE webhook_events');
  }
}
