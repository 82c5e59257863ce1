import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeerCandidateRecord } from './peer-candidate.entity';

/** Candidates contacted per bootstrap round at most: a 10,000-entry file never bursts. */
export const CANDIDATES_PER_ROUND = 20;
/** First retry delay after a failed contact; doubles with each failure. */
export const CANDIDATE_BACKOFF_BASE_MS = 60_000;
/** Longest retry delay. */
export const CANDIDATE_BACKOFF_MAX_MS = 3_600_000;
/**
 * A candidate from a peer file or an import that has never verified this long after it was
 * added is dropped (BOOTSTRAP_SERVERS entries are kept: the operator configured them).
 */
export const CANDIDATE_GIVE_UP_MS = 24 * 3_600_000;
/** How long a bootstrap round trusts an empty `due()` (ms), unless this replica adds candidates. */
const IDLE_RECHECK_MS = 10_000;

/** Delay before the next attempt after `failures` failed ones (1, 2, ...): 1 min doubling, 1 h at most. */
export function candidateBackoffMs(failures: number): number {
  const exponent = Math.max(0, Math.min(20, failures - 1));
  return Math.min(CANDIDATE_BACKOFF_MAX_MS, CANDIDATE_BACKOFF_BASE_MS * 2 ** exponent);
}

/** Discovery endpoints to contact: bootstrap servers, peer files, imports. */
@Injectable()
export class CandidateStore {
  /** When `dueForRound` last found nothing due and this replica added nothing since (ms). */
  private noneDueAtMs: number | null = null;

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async add(url: string, serverId: string | null, source: string): Promise<void> {
    await this.addMany([{ url, serverId }], source);
  }

  /** Records candidates in one statement; a known URL keeps its state and backoff. */
  async addMany(
    candidates: readonly { url: string; serverId: string | null }[],
    source: string,
  ): Promise<void> {
    const unique = new Map<string, string | null>();
    for (const c of candidates) if (!unique.has(c.url)) unique.set(c.url, c.serverId);
    if (unique.size === 0) return;
    this.noneDueAtMs = null;
    await this.dataSource.query(
      `INSERT INTO peer_candidates (url, server_id, source, added_at, failures)
       SELECT u, s, $3, now(), 0 FROM unnest($1::text[], $2::text[]) AS c(u, s)
       ON CONFLICT (url) DO UPDATE SET server_id = COALESCE(EXCLUDED.server_id, peer_candidates.server_id)`,
      [[...unique.keys()], [...unique.values()], source],
    );
  }

  /** Candidates never contacted successfully (all of them, for the operator). */
  async pending(): Promise<PeerCandidateRecord[]> {
    return this.dataSource
      .getRepository(PeerCandidateRecord)
      .createQueryBuilder('c')
      .where('c.last_success_at IS NULL')
      .orderBy('c.added_at', 'ASC')
      .getMany();
  }

  /**
   * At most `limit` unverified candidates whose backoff has passed, never tried first, then
   * the longest waiting.
   */
  async due(limit: number = CANDIDATES_PER_ROUND): Promise<PeerCandidateRecord[]> {
    return this.dataSource
      .getRepository(PeerCandidateRecord)
      .createQueryBuilder('c')
      .where('c.last_success_at IS NULL')
      .andWhere('(c.next_attempt_at IS NULL OR c.next_attempt_at <= now())')
      .orderBy('c.next_attempt_at', 'ASC', 'NULLS FIRST')
      .addOrderBy('c.added_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * `due()` for the bootstrap round: when the last call found nothing due and this replica
   * added no candidate since, answers [] without a query for `IDLE_RECHECK_MS` (10 s), so a
   * steady round with no candidates costs no SELECT. Candidates another replica adds, or
   * whose backoff (1 min at least) ends, are thus contacted at most 10 s later.
   */
  async dueForRound(nowMs: number = Date.now()): Promise<PeerCandidateRecord[]> {
    if (this.noneDueAtMs !== null && nowMs - this.noneDueAtMs < IDLE_RECHECK_MS) return [];
    const due = await this.due();
    this.noneDueAtMs = due.length === 0 ? nowMs : null;
    return due;
  }

  async markSuccess(url: string, serverId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE peer_candidates SET last_attempt_at = now(), last_success_at = now(),
       server_id = $2, failures = 0, last_error = NULL, next_attempt_at = NULL WHERE url = $1`,
      [url, serverId],
    );
  }

  /**
   * Counts a failure and sets the next attempt `candidateBackoffMs(failures)` away; a
   * configured bootstrap server (a handful, chosen by the operator) is due again next round.
   */
  async markFailure(url: string, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE peer_candidates SET last_attempt_at = now(), failures = failures + 1,
       last_error = $2,
       next_attempt_at = CASE WHEN source = 'bootstrap' THEN NULL
         ELSE now() + make_interval(secs => LEAST($4::float8,
           $3::float8 * power(2, LEAST(20, failures))) / 1000) END
       WHERE url = $1`,
      [url, error.slice(0, 500), CANDIDATE_BACKOFF_BASE_MS, CANDIDATE_BACKOFF_MAX_MS],
    );
  }

  /**
   * Drops candidates that never verified within `CANDIDATE_GIVE_UP_MS` of being added,
   * except configured bootstrap servers; returns their URLs.
   */
  async dropStale(giveUpMs: number = CANDIDATE_GIVE_UP_MS): Promise<string[]> {
    // TypeORM answers a DELETE … RETURNING with [rows, count].
    const [rows]: [{ url: string }[], number] = await this.dataSource.query(
      `DELETE FROM peer_candidates WHERE last_success_at IS NULL AND source <> 'bootstrap'
       AND added_at < now() - make_interval(secs => $1::float8 / 1000) RETURNING url`,
      [giveUpMs],
    );
    return rows.map((r) => r.url);
  }
}
