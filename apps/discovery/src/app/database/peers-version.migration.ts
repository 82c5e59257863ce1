import { MigrationInterface, QueryRunner } from 'typeorm';

/** The trigger function as this migration created it (`ChangeNotify` extends it). */
export const PEERS_VERSION_BUMP_V1 = `
      CREATE FUNCTION peers_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        changed boolean;
      BEGIN
        -- One branch per operation: each reads only the transition tables its trigger has.
        IF TG_OP = 'TRUNCATE' THEN
          changed := true;
        ELSIF TG_OP = 'INSERT' THEN
          changed := EXISTS (SELECT 1 FROM peers_new);
        ELSIF TG_OP = 'DELETE' THEN
          changed := EXISTS (SELECT 1 FROM peers_old);
        ELSE
          changed := EXISTS (
            SELECT 1 FROM peers_new n LEFT JOIN peers_old o ON o.server_id = n.server_id
            WHERE o.server_id IS NULL
               OR to_jsonb(n) - 'last_seen' IS DISTINCT FROM to_jsonb(o) - 'last_seen');
        END IF;
        IF changed THEN
          UPDATE peers_version SET version = version + 1;
        END IF;
        RETURN NULL;
      END
      $$`;

/**
 * `peers_version`: one row whose `version` (bigint) PostgreSQL bumps, in the writing
 * statement's own transaction, whenever a statement inserts, deletes or changes a row of
 * `peers` (any column but `last_seen`, which every received `gossip` touches), or truncates
 * it. `PeerStore.tableVersion()` reads that row instead of counting the 10,000 rows of
 * `peers` twice per gossip round (bench/discovery, issue 8).
 *
 * Statement-level triggers with transition tables: a statement that changes nothing (an
 * upsert that was not newer, a housekeeping DELETE with nothing to delete) does not bump, so
 * the gossip leader's cached table is not reloaded for it. Being part of the writer's
 * transaction, the new version becomes visible with the rows it describes, whichever
 * replica wrote them: a reader never sees the new version before the new rows.
 */
export class PeersVersion1765100000000 implements MigrationInterface {
  name = 'PeersVersion1765100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE peers_version (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        version bigint NOT NULL
      )`);
    await runner.query('INSERT INTO peers_version (id, version) VALUES (true, 0)');
    await runner.query(PEERS_VERSION_BUMP_V1);
    await runner.query(`
      CREATE TRIGGER peers_version_insert AFTER INSERT ON peers
      REFERENCING NEW TABLE AS peers_new
      FOR EACH STATEMENT EXECUTE FUNCTION peers_version_bump()`);
    await runner.query(`
      CREATE TRIGGER peers_version_update AFTER UPDATE ON peers
      REFERENCING OLD TABLE AS peers_old NEW TABLE AS peers_new
      FOR EACH STATEMENT EXECUTE FUNCTION peers_version_bump()`);
    await runner.query(`
      CREATE TRIGGER peers_version_delete AFTER DELETE ON peers
      REFERENCING OLD TABLE AS peers_old
      FOR EACH STATEMENT EXECUTE FUNCTION peers_version_bump()`);
    await runner.query(`
      CREATE TRIGGER peers_version_truncate AFTER TRUNCATE ON peers
      FOR EACH STATEMENT EXECUTE FUNCTION peers_version_bump()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const op of ['insert', 'update', 'delete', 'truncate']) {
      await runner.query(`DROP TRIGGER peers_version_${op} ON peers`);
    }
    await runner.query('DROP FUNCTION peers_version_bump()');
    await runner.query('DROP TABLE peers_version');
  }
}
