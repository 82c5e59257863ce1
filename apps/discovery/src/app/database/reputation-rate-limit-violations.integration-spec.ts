import { DatabaseHandle, openDatabase } from '@pager/server-kit';
import { dropTestSchema } from '@pager/testing';
import { randomBytes } from 'node:crypto';
import { DISCOVERY_ENTITIES } from './entities';
import { DISCOVERY_MIGRATIONS } from './migrations';
import { ReputationRateLimitViolations1765300000000 } from './reputation-rate-limit-violations.migration';

const url = process.env.TEST_DATABASE_URL as string;
const schema = `it_rlv_${randomBytes(5).toString('hex')}`;

const open = (migrations: typeof DISCOVERY_MIGRATIONS): Promise<DatabaseHandle> =>
  openDatabase({ url, schema, embeddedDir: '', entities: DISCOVERY_ENTITIES, migrations });

/**
 * The migration that adds `reputation.rate_limit_violations` moves each server's earlier
 * `rate_limit_violation` reports (kept in `reputation_reports`) from `reports` to the new
 * column; servers without such reports get 0. Undone, the counts go back to `reports`.
 */
describe('migration ReputationRateLimitViolations1765300000000', () => {
  afterAll(() => dropTestSchema(schema));

  it('backfills from the report history, and its down puts the counts back', async () => {
    const before = DISCOVERY_MIGRATIONS.filter(
      (m) => m !== ReputationRateLimitViolations1765300000000,
    );
    expect(before).toHaveLength(DISCOVERY_MIGRATIONS.length - 1);
    const old = await open(before);
    try {
      await old.dataSource.query(
        `INSERT INTO reputation (server_id, reports, key_conflicts, invalid_announcements, first_seen, last_seen)
         VALUES ('flooder.example', 3, 0, 0, now(), now()), ('clean.example', 0, 0, 0, now(), now()),
                ('reported.example', 1, 2, 0, now(), now()), ('trimmed.example', 1, 0, 0, now(), now())`,
      );
      await old.dataSource.query(
        `INSERT INTO reputation_reports (server_id, reason, details, created_at)
         VALUES ('flooder.example', 'rate_limit_violation', NULL, now()),
                ('flooder.example', 'rate_limit_violation', 'x', now()),
                ('flooder.example', 'spam', NULL, now()),
                ('reported.example', 'spam', NULL, now()),
                ('trimmed.example', 'rate_limit_violation', NULL, now()),
                ('trimmed.example', 'rate_limit_violation', NULL, now())`,
      );
    } finally {
      await old.close();
    }

    const migrated = await open(DISCOVERY_MIGRATIONS);
    try {
      const rows = await migrated.dataSource.query(
        'SELECT server_id, reports, rate_limit_violations, key_conflicts FROM reputation ORDER BY server_id',
      );
      expect(rows).toEqual([
        { server_id: 'clean.example', reports: 0, rate_limit_violations: 0, key_conflicts: 0 },
        { server_id: 'flooder.example', reports: 1, rate_limit_violations: 2, key_conflicts: 0 },
        { server_id: 'reported.example', reports: 1, rate_limit_violations: 0, key_conflicts: 2 },
        // More violation reports than counted reports (a counter reset by hand): never below 0.
        { server_id: 'trimmed.example', reports: 0, rate_limit_violations: 2, key_conflicts: 0 },
      ]);
      await migrated.dataSource.undoLastMigration({ transaction: 'each' });
      const undone = await migrated.dataSource.query(
        `SELECT server_id, reports FROM reputation ORDER BY server_id`,
      );
      expect(undone).toEqual([
        { server_id: 'clean.example', reports: 0 },
        { server_id: 'flooder.example', reports: 3 },
        { server_id: 'reported.example', reports: 1 },
        { server_id: 'trimmed.example', reports: 2 },
      ]);
      const columns = await migrated.dataSource.query(
        `SELECT column_name FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'reputation' AND column_name = 'rate_limit_violations'`,
        [schema],
      );
      expect(columns).toEqual([]);
    } finally {
      await migrated.close();
    }
  });
});
