import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `reputation.rate_limit_violations`: reports with the reason `rate_limit_violation` (our
 * adapter sends one each time a sender goes over its message limit, PROTOCOL.md §7) are
 * counted here instead of in `reports`, which keeps the reports of operators (docs/protocol.md,
 * reputation). Backfilled from `reputation_reports`: each server's `rate_limit_violation`
 * reports move from `reports` (never below 0) to the new column; 0 for the others.
 */
export class ReputationRateLimitViolations1765300000000 implements MigrationInterface {
  name = 'ReputationRateLimitViolations1765300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'ALTER TABLE reputation ADD COLUMN rate_limit_violations integer NOT NULL DEFAULT 0',
    );
    await runner.query(
      `UPDATE reputation r
       SET rate_limit_violations = h.n, reports = GREATEST(0, r.reports - h.n)
       FROM (SELECT server_id, count(*)::integer AS n FROM reputation_reports
             WHERE reason = 'rate_limit_violation' GROUP BY server_id) h
       WHERE r.server_id = h.server_id`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('UPDATE reputation SET reports = reports + rate_limit_violations');
    await runner.query('ALTER TABLE reputation DROP COLUMN rate_limit_violations');
  }
}
