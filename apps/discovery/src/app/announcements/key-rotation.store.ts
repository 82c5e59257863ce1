import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Owner of `own_key_rotations`: when this server started announcing `toFingerprint` with a
 * rotation_signature by `fromFingerprint`. Shared by the replicas and kept across restarts,
 * so the rotation_signature ends one announcement lifetime after the first announcement of
 * the pair, wherever and however often the daemon restarts (docs/protocol.md §14).
 */
@Injectable()
export class KeyRotationStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * The start of the rotation from `fromFingerprint` to `toFingerprint` in ms since the
   * epoch, recording `nowMs` as its start when this is the first time (first writer wins).
   */
  async startedAt(fromFingerprint: string, toFingerprint: string, nowMs: number): Promise<number> {
    const rows: { started_at: Date }[] = await this.dataSource.query(
      `WITH inserted AS (
         INSERT INTO own_key_rotations (from_fingerprint, to_fingerprint, started_at)
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING started_at)
       SELECT started_at FROM inserted
       UNION ALL
       SELECT started_at FROM own_key_rotations WHERE from_fingerprint = $1 AND to_fingerprint = $2
       LIMIT 1`,
      [fromFingerprint, toFingerprint, new Date(nowMs)],
    );
    return rows[0].started_at.getTime();
  }
}
