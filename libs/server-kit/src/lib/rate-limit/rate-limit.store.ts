import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { RateLimitDecision, RateLimitState, consumeRateLimit } from './rate-limit';

interface RateLimitRow {
  window_start: Date;
  count: number;
  violations: number;
  blocked_until: Date;
}

/**
 * Rate-limit state in PostgreSQL, so that the limit holds across replicas: each decision
 * runs the pure `consumeRateLimit` on the row locked with `SELECT … FOR UPDATE`.
 */
export class RateLimitStore {
  constructor(private readonly dataSource: DataSource) {}

  async consume(key: string, limitPerHour: number, nowMs: number = Date.now()): Promise<RateLimitDecision> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO rate_limits (key, window_start, count, violations, blocked_until)
         VALUES ($1, $2, 0, 0, 'epoch') ON CONFLICT (key) DO NOTHING`,
        [key, new Date(nowMs)],
      );
      const rows: RateLimitRow[] = await manager.query(
        'SELECT window_start, count, violations, blocked_until FROM rate_limits WHERE key = $1 FOR UPDATE',
        [key],
      );
      const before: RateLimitState = {
        windowStartMs: rows[0].window_start.getTime(),
        count: rows[0].count,
        violations: rows[0].violations,
        blockedUntilMs: rows[0].blocked_until.getTime(),
      };
      const decision = consumeRateLimit(before, nowMs, limitPerHour);
      const after = decision.state;
      await manager.query(
        `UPDATE rate_limits SET window_start = $2, count = $3, violations = $4, blocked_until = $5
         WHERE key = $1`,
        [key, new Date(after.windowStartMs), after.count, after.violations, new Date(after.blockedUntilMs)],
      );
      return decision;
    });
  }

  /** Violations recorded for keys starting with `prefix` (e.g. every limit of one server). */
  async violations(prefix: string): Promise<number> {
    const rows: { total: string | null }[] = await this.dataSource.query(
      `SELECT SUM(violations) AS total FROM rate_limits WHERE starts_with(key, $1)`,
      [prefix],
    );
    return Number(rows[0]?.total ?? 0);
  }
}

/** The `rate_limits` table; each service lists this migration in its own schema. */
export class CreateRateLimits1764100000000 implements MigrationInterface {
  name = 'CreateRateLimits1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE rate_limits (
        key text PRIMARY KEY,
        window_start timestamptz NOT NULL,
        count integer NOT NULL,
        violations integer NOT NULL,
        blocked_until timestamptz NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE rate_limits');
  }
}
