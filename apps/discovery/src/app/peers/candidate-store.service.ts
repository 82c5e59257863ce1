import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeerCandidateRecord } from './peer-candidate.entity';

/** Discovery endpoints to contact: bootstrap servers, peer files, imports. */
@Injectable()
export class CandidateStore {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async add(url: string, serverId: string | null, source: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO peer_candidates (url, server_id, source, added_at, failures)
       VALUES ($1, $2, $3, now(), 0)
       ON CONFLICT (url) DO UPDATE SET server_id = COALESCE(EXCLUDED.server_id, peer_candidates.server_id)`,
      [url, serverId, source],
    );
  }

  /** Candidates never contacted successfully. */
  async pending(): Promise<PeerCandidateRecord[]> {
    return this.dataSource
      .getRepository(PeerCandidateRecord)
      .createQueryBuilder('c')
      .where('c.last_success_at IS NULL')
      .orderBy('c.added_at', 'ASC')
      .getMany();
  }

  async markSuccess(url: string, serverId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE peer_candidates SET last_attempt_at = now(), last_success_at = now(),
       server_id = $2, failures = 0, last_error = NULL WHERE url = $1`,
      [url, serverId],
    );
  }

  async markFailure(url: string, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE peer_candidates SET last_attempt_at = now(), failures = failures + 1, last_error = $2
       WHERE url = $1`,
      [url, error.slice(0, 500)],
    );
  }
}
