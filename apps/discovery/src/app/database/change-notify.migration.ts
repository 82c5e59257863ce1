import { MigrationInterface, QueryRunner } from 'typeorm';
import { PEERS_VERSION_BUMP_V1 } from './peers-version.migration';

/**
 * NOTIFY `pager_discovery_changes` with `<schema>.<table>` when `peers` (exactly when
 * `peers_version` is bumped), `blocklist` or `pins` change, from the writer's transaction:
 * PostgreSQL delivers it to every listening session (each replica's `ChangeFeed`) when that
 * transaction commits, never before, and not at all on rollback. A replica then needs no
 * statement to learn that nothing changed (bench/discovery, issue 8: the table version read
 * twice per gossip round, the blocklist and pin look-ups of each envelope).
 */
export class ChangeNotify1765200000000 implements MigrationInterface {
  name = 'ChangeNotify1765200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      PEERS_VERSION_BUMP_V1.replace(
        'UPDATE peers_version SET version = version + 1;',
        `UPDATE peers_version SET version = version + 1;
          PERFORM pg_notify('pager_discovery_changes', TG_TABLE_SCHEMA || '.peers');`,
      ).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'),
    );
    await runner.query(`
      CREATE FUNCTION discovery_change_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('pager_discovery_changes', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME);
        RETURN NULL;
      END
      $$`);
    for (const table of ['blocklist', 'pins']) {
      await runner.query(`
        CREATE TRIGGER ${table}_change_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
        ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION discovery_change_notify()`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['blocklist', 'pins']) {
      await runner.query(`DROP TRIGGER ${table}_change_notify ON ${table}`);
    }
    await runner.query('DROP FUNCTION discovery_change_notify()');
    await runner.query(
      PEERS_VERSION_BUMP_V1.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'),
    );
  }
}
