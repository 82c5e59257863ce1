import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PROTOCOL.md section 5, ack digest rule: the sender keeps the digest of every attempt it
 * signed (each attempt is signed afresh, with a new timestamp), durably and before the
 * attempt leaves, and takes an ack naming any of them.
 */
export class AttemptDigests1764300000000 implements MigrationInterface {
  name = 'AttemptDigests1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      "ALTER TABLE messages ADD COLUMN attempt_digests text[] NOT NULL DEFAULT '{}'",
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE messages DROP COLUMN attempt_digests');
  }
}
