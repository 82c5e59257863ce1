import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key rotation (docs/protocol.md §2 and §14):
 * - `pins` keeps the key a rotation moved away from, and when, so that an adapter whose
 *   operator opted into KEY_ROTATION_GRACE_MS (off by default, outside the protocol) can
 *   accept messages and acks still signed with it for that long;
 * - `own_key_rotations` records when this server started announcing a key with a
 *   rotation_signature by the previous one (owner: KeyRotationStore), so that every replica
 *   and every restart ends the rotation_signature at the same time, one announcement
 *   lifetime later.
 */
export class KeyRotation1764700000000 implements MigrationInterface {
  name = 'KeyRotation1764700000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `ALTER TABLE pins ADD COLUMN previous_fingerprint text,
                        ADD COLUMN previous_public_key text,
                        ADD COLUMN rotated_at timestamptz`,
    );
    await runner.query(
      `CREATE TABLE own_key_rotations (
         from_fingerprint text NOT NULL,
         to_fingerprint text NOT NULL,
         started_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (from_fingerprint, to_fingerprint)
       )`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE own_key_rotations');
    await runner.query(
      `ALTER TABLE pins DROP COLUMN previous_fingerprint, DROP COLUMN previous_public_key,
                        DROP COLUMN rotated_at`,
    );
  }
}
