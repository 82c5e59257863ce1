import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, contacts, blocks, pages and inbound receipts. One `messages` row per page: the
 * sender's sent box is `sender_user_id`, the recipient's inbox `recipient_user_id` (a local
 * page has both); federated pages carry the outbox columns (destination, attempts,
 * next_attempt_at, claim_token, last_error, signed_payload).
 */
export class CreateAdapterTables1764200000000 implements MigrationInterface {
  name = 'CreateAdapterTables1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE users (
        user_id text PRIMARY KEY,
        username text NOT NULL UNIQUE,
        accept_policy text NOT NULL DEFAULT 'anyone' CHECK (accept_policy IN ('anyone', 'contacts')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE contacts (
        id uuid PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        name text NOT NULL,
        email text,
        phone text,
        pager_address text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX contacts_by_user ON contacts (user_id, created_at, id)');
    await runner.query(`
      CREATE TABLE user_blocks (
        user_id text NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        address text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, address)
      )`);
    await runner.query(`
      CREATE TABLE messages (
        id bigserial PRIMARY KEY,
        message_id text NOT NULL,
        origin_server text NOT NULL,
        sender_user_id text REFERENCES users (user_id),
        recipient_user_id text REFERENCES users (user_id),
        from_address text NOT NULL,
        to_address text NOT NULL,
        content_json text NOT NULL,
        priority smallint NOT NULL CHECK (priority BETWEEN 0 AND 2),
        status text NOT NULL CHECK (status IN ('queued', 'sending', 'delivered', 'rejected', 'failed')),
        destination text,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        claim_token uuid,
        last_error text,
        signed_payload text,
        created_at timestamptz NOT NULL,
        delivered_at timestamptz,
        CONSTRAINT messages_origin_message_id UNIQUE (origin_server, message_id)
      )`);
    await runner.query(
      'CREATE INDEX messages_inbox ON messages (recipient_user_id, created_at DESC, id DESC) WHERE recipient_user_id IS NOT NULL',
    );
    await runner.query(
      'CREATE INDEX messages_sent ON messages (sender_user_id, created_at DESC, id DESC) WHERE sender_user_id IS NOT NULL',
    );
    await runner.query(
      "CREATE INDEX messages_outbox_due ON messages (next_attempt_at) WHERE status IN ('queued', 'sending')",
    );
    await runner.query('CREATE INDEX messages_by_message_id ON messages (message_id)');
    await runner.query(`
      CREATE TABLE inbound_receipts (
        sender_server text NOT NULL,
        message_id text NOT NULL,
        message_digest text NOT NULL,
        status text NOT NULL CHECK (status IN ('delivered', 'rejected')),
        reason text,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (sender_server, message_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE inbound_receipts');
    await runner.query('DROP TABLE messages');
    await runner.query('DROP TABLE user_blocks');
    await runner.query('DROP TABLE contacts');
    await runner.query('DROP TABLE users');
  }
}
