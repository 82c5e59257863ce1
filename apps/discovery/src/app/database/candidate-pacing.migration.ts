import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Paced candidate contacts: each unverified candidate waits until `next_attempt_at` (backoff
 * after each failure) and only a bounded number are contacted per round, oldest due first.
 */
export class CandidatePacing1764612345000 implements MigrationInterface {
  name = 'CandidatePacing1764612345000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE peer_candidates ADD COLUMN next_attempt_at timestamptz');
    await runner.query(
      `CREATE INDEX peer_candidates_due_idx ON peer_candidates (next_attempt_at, added_at)
       WHERE last_success_at IS NULL`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP INDEX peer_candidates_due_idx');
    await runner.query('ALTER TABLE peer_candidates DROP COLUMN next_attempt_at');
  }
}
