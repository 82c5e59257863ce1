import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Careful first contact and the pin history (docs/protocol.md §14).
 *
 * `pin_confirmations`: for a server not pinned yet, each (path, fingerprint) that brought
 * its key (PIN_CONFIRMATIONS > 1), with the newest announcement that came that way, so that
 * replicas count the same paths; deleted when the server is pinned or forgotten, or when not
 * seen again for the announcement lifetime.
 *
 * `pin_history`: one global append-only chain of pin events; `hash` is the SHA-256 of the
 * entry's canonical form including `prev_hash` (core/pin-history.ts). `at` is text, exactly
 * as hashed. Appends hold an advisory lock on the chain head, in the pin change's transaction.
 */
export class PinConfirmationsAndHistory1765000000000 implements MigrationInterface {
  name = 'PinConfirmationsAndHistory1765000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE pin_confirmations (
        server_id text NOT NULL,
        path text NOT NULL,
        fingerprint text NOT NULL,
        public_key text NOT NULL,
        announcement jsonb NOT NULL,
        timestamp_ms bigint NOT NULL,
        first_seen timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (server_id, path, fingerprint)
      )`);
    await runner.query(
      'CREATE INDEX pin_confirmations_last_seen_idx ON pin_confirmations (last_seen)',
    );
    await runner.query(`
      CREATE TABLE pin_history (
        seq bigint PRIMARY KEY CHECK (seq >= 1),
        server_id text NOT NULL,
        event text NOT NULL CHECK (event IN ('pinned', 'rotated', 'conflict', 'forgotten')),
        fingerprint text,
        previous_fingerprint text,
        source text NOT NULL,
        reason text,
        at text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL UNIQUE
      )`);
    await runner.query('CREATE INDEX pin_history_server_idx ON pin_history (server_id, seq)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE pin_history');
    await runner.query('DROP TABLE pin_confirmations');
  }
}
